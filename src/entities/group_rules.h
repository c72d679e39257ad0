// Group's own rules, run before every write of a Group whatever the dialect:
// a name made from the title when none is given (CiviCRM 3.2's titleToVar,
// kept unique), unique names and titles with a clear error, visibility and
// group_type checked against their options, frontend_title defaulting to the
// title, and created_id/modified_id from the caller.
#pragma once

#include <cstdint>
#include <string>

#include "api/records.h"

namespace kith::entities {

// Registers the before-write rule of Group.
void RegisterGroupRules(api::RulesRegistry& rules);

// CRM_Utils_String::titleToVar: runs of characters other than letters,
// digits and '_' become one '_', cut to 31 characters.
std::string GroupNameFromTitle(const std::string& title);

// The name APIv3 and APIv4 give a group created without one (CiviCRM 6):
// the munged title less its last 4 characters, "_", the group's id.
std::string GroupNameWithId(const std::string& title, int64_t id);

// Gives the new group `id` that name (APIv3 and APIv4 creates without a
// name; the 3.2 dialect keeps the title's name).
Status NameGroupAfterId(api::ActionContext& ctx, int64_t id);

// `base`, or base_2, base_3, ... : the first name no group other than
// `except_id` has.
StatusOr<std::string> UniqueGroupName(store::Transaction& txn, const std::string& base,
                                      int64_t except_id);

}  // namespace kith::entities
