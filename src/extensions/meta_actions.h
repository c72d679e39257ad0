// getfields and getactions (APIv3 and APIv4) for entities that only
// extensions define: there is no schema::Entity to build them from, so they
// list the registry's actions of the entity and the ParamSpecs those actions
// declared. Thread-safe (the handlers read the registry of the call).
#pragma once

#include <string>

#include "api/action_registry.h"

namespace kith::extensions {

// The spec of `action` ("getfields" or "getactions") of `entity` in
// `version` (3 or 4), needing "access CiviCRM" like the built-in entities'
// meta actions, and answering in the same shapes as entities/v3 and v4 do:
//   v3 getfields: {is_error, version, count, values: {name: {name, type
//     (CiviCRM's type number), title, api.required, description}}} for the
//     action named by api_action (default get), a list with sequential=1.
//   v3 getactions: {is_error, version, count, values: [names, sorted]}.
//   v4 getFields: {values: [{default_value, required, name, title,
//     description, type "Field", data_type, input_type, ...}]} for
//     params.action (default get), reduced to params.select when given.
//   v4 getActions: {values: [{name, entity, description, permissions}]}.
api::ActionSpec MetaActionSpec(int version, const std::string& entity, const std::string& action);

}  // namespace kith::extensions
