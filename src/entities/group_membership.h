// Group membership: the one definition of "contact C is a member of group G",
// shared by contact searches (the `group` criterion), member counts and every
// dialect. A contact is a member of G when
//   - it has an Added GroupContact row in G or in any group nested below G
//     (GroupNesting, any depth); or
//   - G or a group nested below it is a smart group (saved_search_id set)
//     whose saved criteria the contact matches, and the contact has no
//     Removed row in that smart group (removed by hand wins over the search).
// Membership is live: the answer is a store::Condition on Contact.id made of
// subqueries, so a members query is one SQL statement over indexed tables,
// with no cache to rebuild and no lock. Reading the group tree and the saved
// criteria (small, indexed reads) is the only work done before that query.
//
// Saved criteria are a JSON object in the form of contact_filters.h, never
// SQL. They may name other groups; a smart group whose criteria lead back to
// itself, or a chain deeper than kMaxSmartGroupDepth, is an error.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/query.h"
#include "store/store.h"

namespace kith::entities {

// How many smart groups may lead into one another through their criteria.
inline constexpr int kMaxSmartGroupDepth = 8;

// The groups `ids` and every group nested below them, sorted, each once.
// Unknown ids are kept (they simply have no members).
StatusOr<std::vector<int64_t>> GroupsWithDescendants(store::Transaction& txn,
                                                     const std::vector<int64_t>& ids);

// True when `candidate` is `group` or nested below it (any depth).
StatusOr<bool> IsSameOrDescendant(store::Transaction& txn, int64_t group, int64_t candidate);

// The condition on Contact.id "member of any of `group_ids`" (see above).
// `smart_chain` lists the smart groups whose criteria are being expanded
// (empty for a top-level call). Errors: kInvalidArgument for a smart group
// that refers to itself or nests too deeply, or whose criteria are invalid.
// The condition does not filter trashed contacts: callers decide.
StatusOr<store::Condition> GroupMembersCondition(store::Transaction& txn,
                                                 const schema::Catalog& catalog,
                                                 const std::vector<int64_t>& group_ids,
                                                 const std::vector<int64_t>& smart_chain = {});

// The saved criteria of a smart group as stored (form_values), parsed.
// kInvalidArgument when the text is not a JSON object.
StatusOr<Value> ParseSmartCriteria(int64_t group_id, const std::string& form_values);

}  // namespace kith::entities
