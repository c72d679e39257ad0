// Groups in the CiviCRM 3.2 dialect (API v2 behind the legacy REST
// interface), with 3.2's rules, messages and result shapes
// (shared/PROTOCOL.md C.1.5):
//   group/add     create, or update when `id` is given; `parents` nests the
//                 group; `formValues` (a JSON object of contact criteria, as
//                 JSON text or PHP brackets) makes it a smart group
//   group/get     active groups by default; name/title matched with LIKE
//   group/delete
//   group_contact/add | remove | pending | update_status | get
#pragma once

#include "api/action_registry.h"

namespace kith::entities {

void RegisterGroupV2Actions(api::ActionRegistry& registry);

}  // namespace kith::entities
