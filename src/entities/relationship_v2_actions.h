// Relationship and RelationshipType in the CiviCRM 3.2 dialect (API v2
// behind the legacy REST interface), with 3.2's checks, messages and result
// shapes (shared/PROTOCOL.md C.1.5): relationship/create, update, get (both
// directions of one contact), delete; relationship_type/add, update, delete,
// and the list that 3.2 served only as relationshipType/get.
#pragma once

#include "api/action_registry.h"

namespace kith::entities {

void RegisterRelationshipV2Actions(api::ActionRegistry& registry);

}  // namespace kith::entities
