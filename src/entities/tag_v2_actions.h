// Tags in the CiviCRM 3.2 dialect (API v2's Tag.php and EntityTag.php):
//   tag/get                 one tag by id or name, its fields flat
//   entity_tag/add|remove   tags or untags contacts (contact_id, contact_id.N,
//                           or entity_id with entity_table) with tag_id(.N):
//                           {is_error, total_count, added|removed,
//                           not_added|not_removed}
//   entity_tag/get          a record's tags: [{"tag_id": ...}, ...]
//   entity_tag/display      a record's tag names, comma-separated
#pragma once

#include "api/action_registry.h"

namespace kith::entities {

void RegisterTagV2Actions(api::ActionRegistry& registry);

}  // namespace kith::entities
