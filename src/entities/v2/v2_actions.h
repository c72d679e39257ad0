// The CiviCRM 3.2 dialect (API v2, served at extern/rest.php and the
// civicrm/<entity>/<action> paths; shared/PROTOCOL.md C.1.5, C.1.6): the
// version-2 actions, with 3.2's checks, messages and result shapes. Unlike
// v3 and v4 they are written per entity, because 3.2's API was:
//   contact       get and its alias search, search_count, add, create, update,
//                 delete (v2_contact.cc); values of custom fields on contacts
//                 (contact/add custom_N=, return[custom_N], filters) go
//                 through custom_contact_values.h
//   group         group/add (create, or update when `id` is given; `parents`
//                 nests the group; `formValues`, a JSON object of contact
//                 criteria as JSON text or PHP brackets, makes it a smart
//                 group), group/get (active groups by default; name/title
//                 matched with LIKE), group/delete; group_contact/add |
//                 remove | pending | update_status | get (v2_groups.cc)
//   relationship  relationship/create, update, get (both directions of one
//                 contact), delete; relationship_type/add, update, delete,
//                 and the list that 3.2 served only as relationshipType/get
//                 (v2_relationships.cc)
//   custom data   custom_group/create|delete and custom_field/create|delete
//                 with 3.2's checks (custom_field is reachable over REST,
//                 unlike 3.2); custom_group/get, custom_field/get (3.2 had
//                 none): rows by id; custom_value/get|create (3.2 had none):
//                 APIv3's shapes (C.2.5) in 3.2's envelope (v2_custom.cc)
//   tags          tag/get (one tag by id or name, its fields flat);
//                 entity_tag/add|remove (contact_id, contact_id.N, or
//                 entity_id with entity_table, with tag_id(.N)):
//                 {is_error, total_count, added|removed,
//                 not_added|not_removed}; entity_tag/get: [{"tag_id": ...}];
//                 entity_tag/display: the tag names, comma-separated
//                 (v2_tags.cc)
#pragma once

#include "api/action_registry.h"

namespace kith::entities::v2 {

// Every v2 action, registered once at start.
void RegisterV2Actions(api::ActionRegistry& registry);

void RegisterContactV2Actions(api::ActionRegistry& registry);
void RegisterGroupV2Actions(api::ActionRegistry& registry);
void RegisterRelationshipV2Actions(api::ActionRegistry& registry);
void RegisterCustomV2Actions(api::ActionRegistry& registry);
void RegisterTagV2Actions(api::ActionRegistry& registry);

}  // namespace kith::entities::v2
