// Custom data in the CiviCRM 3.2 dialect (shared/PROTOCOL.md C.1.5, C.1.6):
//   custom_group/create, custom_group/delete   3.2's checks and messages
//   custom_field/create, custom_field/delete   (reachable over REST, unlike 3.2)
//   custom_group/get, custom_field/get         (3.2 had none): rows by id
//   custom_value/get, custom_value/create      3.2 had none: APIv3's shapes
//                                              (C.2.5) in 3.2's envelope
// Values on contacts (contact/add custom_N=, return[custom_N], filters) are
// in contact_v2_actions.cc through custom_contact_values.h.
#pragma once

#include "api/action_registry.h"

namespace kith::entities {

void RegisterCustomV2Actions(api::ActionRegistry& registry);

}  // namespace kith::entities
