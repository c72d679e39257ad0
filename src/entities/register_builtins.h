// RegisterBuiltins: every built-in action and entity rule, registered in one
// visible place (explicit registration, no static initialisers).
#pragma once

#include "api/action_registry.h"
#include "api/records.h"

namespace kith::entities {

void RegisterBuiltins(api::ActionRegistry& registry, api::RulesRegistry& rules);

}  // namespace kith::entities
