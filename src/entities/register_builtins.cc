#include "entities/register_builtins.h"

#include "entities/contact_rules.h"
#include "entities/contact_v2_actions.h"

namespace kith::entities {

void RegisterBuiltins(api::ActionRegistry& registry, api::RulesRegistry& rules) {
  RegisterContactRules(rules);
  RegisterContactV2Actions(registry);
}

}  // namespace kith::entities
