// An activity's contacts: the ActivityContact rows that make a contact its
// source (record type 2), a target (3) or an assignee (1), as CiviCRM's
// activity_contacts options number them. The API's source_contact_id,
// target_contact_id and assignee_contact_id (v3 and v4) are read and
// written here, once for both dialects.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "base/status.h"
#include "base/value.h"
#include "store/query.h"

namespace kith::entities {

enum class ActivityRole { kAssignee = 1, kSource = 2, kTarget = 3 };

// The role a pseudo-field names ("source_contact_id" -> kSource);
// std::nullopt for any other name.
std::optional<ActivityRole> RoleOfField(std::string_view field);

// The three pseudo-fields, in CiviCRM's order.
const std::vector<std::string>& ActivityRoleFields();

// The contact ids `value` names: an id, a list of them, comma-separated
// text or "user_contact_id" (the caller's contact). kInvalidArgument naming
// `field` for anything else.
StatusOr<std::vector<int64_t>> ContactIds(const api::ActionContext& ctx, const std::string& field,
                                          const Value& value);

// Makes `contacts` exactly the activity's contacts in `role` (rows of other
// contacts in that role are deleted; an unknown contact is an error).
Status SetActivityContacts(api::ActionContext& ctx, int64_t activity_id, ActivityRole role,
                           const std::vector<int64_t>& contacts);

// The contacts in `role` of each of `activity_ids` (in id order; activities
// without any are left out).
StatusOr<std::map<int64_t, std::vector<int64_t>>> ActivityContactsOf(
    store::Transaction& txn, const std::vector<int64_t>& activity_ids, ActivityRole role);

// The condition "the activity's id is one of those where one of `contacts`
// has `role`" (any role when std::nullopt): answered from ActivityContact's
// (contact_id, activity_id, record_type_id) index.
store::Condition ActivitiesOf(const std::vector<int64_t>& contacts, std::optional<ActivityRole> role,
                              bool negate = false);

}  // namespace kith::entities
