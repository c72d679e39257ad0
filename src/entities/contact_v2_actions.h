// Contact in the CiviCRM 3.2 dialect (API v2 behind the legacy REST
// interface): contact/get and its alias search, search_count, add, create,
// update and delete, with 3.2's rules, messages and result shapes
// (shared/PROTOCOL.md C.1.5).
#pragma once

#include "api/action_registry.h"

namespace kith::entities {

void RegisterContactV2Actions(api::ActionRegistry& registry);

}  // namespace kith::entities
