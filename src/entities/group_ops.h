// Group writes shared by every dialect: membership changes with their
// subscription history (CiviCRM's counting rules), nesting with its cycle
// check and CiviCRM's parents/children columns, smart group criteria, and
// deleting a group. All work happens in the action's transaction, so an
// error part-way leaves nothing written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::entities {

// What an existing row counts as when contacts are added (shared/PROTOCOL.md
// C.1.5 and C.2.5): 3.2 counts only an Added row as "not added"; v3 counts a
// row that already has the requested status.
enum class NotAddedRule { kAlreadyAdded, kSameStatus };

struct MembershipCounts {
  int64_t total = 0;      // contacts x groups handled
  int64_t changed = 0;    // added / removed
  int64_t unchanged = 0;  // not_added / not_removed
};

// The membership statuses CiviCRM knows.
bool IsGroupContactStatus(const std::string& status);

// kInvalidArgument "<field> is not valid: <id>" (error_code 2001) for the
// first id with no row of `entity`.
Status CheckIdsExist(store::Transaction& txn, const std::string& entity, const std::string& field,
                     const std::vector<int64_t>& ids);

// Sets `status` for each contact in `group_id` (3.2's addContactsToGroup):
// a contact without a row, or whose row does not count as unchanged under
// `rule`, gets the status and a subscription history row. Ids must exist.
StatusOr<MembershipCounts> AddContactsToGroup(api::ActionContext& ctx, int64_t group_id,
                                              const std::vector<int64_t>& contact_ids,
                                              const std::string& status, const std::string& method,
                                              const Value& tracking, NotAddedRule rule);

// 3.2's removeContactsFromGroup: every contact's row is set to `status`
// (created when missing: an opt-out of a smart group) with a history row;
// "removed" counts contacts that had a row, or every contact of a smart
// group; the rest are "not removed". Ids must exist.
StatusOr<MembershipCounts> RemoveContactsFromGroup(api::ActionContext& ctx, int64_t group_id,
                                                   const std::vector<int64_t>& contact_ids,
                                                   const std::string& status,
                                                   const std::string& method, const Value& tracking);

// AddContactsToGroup (or, `removing`, RemoveContactsFromGroup) for each group
// of `group_ids` in turn; the counts are summed over the groups.
StatusOr<MembershipCounts> ChangeMemberships(api::ActionContext& ctx,
                                             const std::vector<int64_t>& group_ids,
                                             const std::vector<int64_t>& contact_ids, bool removing,
                                             const std::string& status, const std::string& method,
                                             const Value& tracking, NotAddedRule rule);

// Appends a subscription history row (date: now).
Status RecordSubscription(api::ActionContext& ctx, int64_t contact_id, int64_t group_id,
                          const std::string& status, const std::string& method,
                          const Value& tracking);

// Nests `child` under `parent` (no-op when it already is). Refuses a group
// as its own parent and any nesting that would make a cycle, directly or
// through smart group criteria (kInvalidArgument, error_code
// "circular-group"). Keeps both groups' parents/children columns.
Status AddGroupParent(api::ActionContext& ctx, int64_t child, int64_t parent);

// Stores `criteria` (a JSON object of contact criteria, contact_filters.h)
// as the smart search of `group_id`, creating or updating its SavedSearch.
// Refuses criteria that are not an object, name unknown fields, use bad
// operators, or refer back to the group itself.
Status SetSmartCriteria(api::ActionContext& ctx, int64_t group_id, const Value& criteria);

// Deletes a group with its memberships, history, nesting and saved search,
// and updates the parents/children columns of the groups it was nested with.
// kNotFound when there is no such group.
Status DeleteGroup(api::ActionContext& ctx, int64_t group_id);

}  // namespace kith::entities
