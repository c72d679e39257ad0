#include "entities/register_builtins.h"

#include "entities/contact_rules.h"
#include "entities/custom_data_rules.h"
#include "entities/relationship_rules.h"
#include "entities/tag_note_activity_rules.h"
#include "entities/group_rules.h"
#include "entities/v2/v2_actions.h"
#include "entities/v3/v3_actions.h"
#include "entities/v4/v4_actions.h"
#include "schema/schema.h"

namespace kith::entities {

void RegisterBuiltins(api::ActionRegistry& registry, api::RulesRegistry& rules) {
  RegisterContactRules(rules);
  RegisterRelationshipRules(rules);
  RegisterGroupRules(rules);
  RegisterCustomDataRules(rules);
  RegisterTagNoteActivityRules(rules);
  // The 3.2 dialect (API v2), written per entity as 3.2's API was.
  v2::RegisterV2Actions(registry);
  // APIv3 for every api entity of the built-in schema.
  v3::RegisterV3Actions(registry, *schema::BuiltinCatalog());
  // APIv4 likewise.
  v4::RegisterV4Actions(registry, *schema::BuiltinCatalog());
}

}  // namespace kith::entities
