// Custom groups and fields created and deleted the same way by every
// dialect (3.2's custom_group/create, APIv3 CustomField.create, APIv4 ...).
// The dialect checks its own required parameters and messages first; these
// do the rest in the action's transaction, the schema included (tables,
// columns, option lists; the catalog is re-derived and published on commit).
#pragma once

#include <cstdint>

#include "api/action_registry.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::entities {

// Creates a custom group from `input` (CustomGroup columns; `extends` may
// also be a list, CiviCRM's ["Individual", <sub type(s)>]) and its table.
// Unknown keys are an error unless `ignore_unknown`. Returns the group id.
StatusOr<int64_t> CreateCustomGroup(api::ActionContext& ctx, const Value& input,
                                    bool ignore_unknown);

// Creates a custom field from `input` (CustomField columns plus
// `option_values`: {value: label, ...} as APIv3 takes it, or a list of
// {value, label, name, weight, is_active} as 3.2 took it), its option list
// (an option group named after the column, unless option_group_id is given)
// and its column. Option values must fit the data type. Unknown keys are an
// error unless `ignore_unknown`. Returns the field id.
StatusOr<int64_t> CreateCustomField(api::ActionContext& ctx, const Value& input,
                                    bool ignore_unknown);

// Deletes custom field `id`: its column, its row and its option list (unless
// another field shares it). kNotFound when there is no such field.
Status DeleteCustomField(api::ActionContext& ctx, int64_t id);

// Deletes custom group `id` with its fields, their option lists and its
// table (every value in it). kNotFound when there is no such group.
Status DeleteCustomGroup(api::ActionContext& ctx, int64_t id);

}  // namespace kith::entities
