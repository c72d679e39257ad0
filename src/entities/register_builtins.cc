#include "entities/register_builtins.h"

#include "entities/contact_rules.h"
#include "entities/contact_v2_actions.h"
#include "entities/custom_data_rules.h"
#include "entities/custom_v2_actions.h"
#include "entities/relationship_rules.h"
#include "entities/tag_note_activity_rules.h"
#include "entities/tag_v2_actions.h"
#include "entities/relationship_v2_actions.h"
#include "entities/group_rules.h"
#include "entities/group_v2_actions.h"
#include "entities/v3/v3_actions.h"
#include "entities/v4/v4_actions.h"
#include "schema/schema.h"

namespace kith::entities {

void RegisterBuiltins(api::ActionRegistry& registry, api::RulesRegistry& rules) {
  RegisterContactRules(rules);
  RegisterContactV2Actions(registry);
  RegisterRelationshipRules(rules);
  RegisterRelationshipV2Actions(registry);
  RegisterGroupRules(rules);
  RegisterGroupV2Actions(registry);
  RegisterCustomDataRules(rules);
  RegisterCustomV2Actions(registry);
  RegisterTagNoteActivityRules(rules);
  RegisterTagV2Actions(registry);
  // APIv3 for every api entity of the built-in schema.
  v3::RegisterV3Actions(registry, *schema::BuiltinCatalog());
  // APIv4 likewise.
  v4::RegisterV4Actions(registry, *schema::BuiltinCatalog());
}

}  // namespace kith::entities
