#include "entities/group_membership.h"

#include <algorithm>
#include <set>

#include "base/error_details.h"
#include "entities/contact_filters.h"

namespace kith::entities {

using store::Condition;
using store::Op;
using store::Query;

namespace {

Value IdList(const std::vector<int64_t>& ids) {
  Value list = Value::array();
  for (int64_t id : ids) list.push_back(id);
  return list;
}

// Contacts with a GroupContact row of `status` in any of `groups`.
Query MembersWithStatus(const std::vector<int64_t>& groups, const char* status) {
  Query q;
  q.entity = "GroupContact";
  q.select = {"contact_id"};
  q.where = Condition::And({groups.size() == 1 ? Condition::Leaf("group_id", Op::kEq, groups[0])
                                               : Condition::Leaf("group_id", Op::kIn, IdList(groups)),
                            Condition::Leaf("status", Op::kEq, status)});
  return q;
}

}  // namespace

StatusOr<std::vector<int64_t>> GroupsWithDescendants(store::Transaction& txn,
                                                     const std::vector<int64_t>& ids) {
  std::set<int64_t> all(ids.begin(), ids.end());
  std::vector<int64_t> frontier(all.begin(), all.end());
  // Level by level; the visited set also ends any cycle an old database
  // might hold (new nesting refuses them).
  while (!frontier.empty()) {
    Query q;
    q.entity = "GroupNesting";
    q.select = {"child_group_id"};
    q.where = Condition::Leaf("parent_group_id", Op::kIn, IdList(frontier));
    KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
    frontier.clear();
    for (const Value& row : rows) {
      int64_t child = row["child_group_id"].get<int64_t>();
      if (all.insert(child).second) frontier.push_back(child);
    }
  }
  return std::vector<int64_t>(all.begin(), all.end());
}

StatusOr<bool> IsSameOrDescendant(store::Transaction& txn, int64_t group, int64_t candidate) {
  KITH_ASSIGN_OR_RETURN(auto below, GroupsWithDescendants(txn, {group}));
  return std::binary_search(below.begin(), below.end(), candidate);
}

StatusOr<Value> ParseSmartCriteria(int64_t group_id, const std::string& form_values) {
  Value criteria = Value::parse(form_values, nullptr, /*allow_exceptions=*/false);
  if (!criteria.is_object()) {
    return InvalidArgument("the saved criteria of smart group " + std::to_string(group_id) +
                           " are not a JSON object");
  }
  return criteria;
}

StatusOr<Condition> GroupMembersCondition(store::Transaction& txn, const schema::Catalog& catalog,
                                          const std::vector<int64_t>& group_ids,
                                          const std::vector<int64_t>& smart_chain) {
  if (group_ids.empty()) return Condition::Leaf("id", Op::kIn, Value::array());
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> groups, GroupsWithDescendants(txn, group_ids));

  std::vector<Condition> any;
  any.push_back(Condition::InQuery("id", MembersWithStatus(groups, "Added")));

  Query smart;
  smart.entity = "Group";
  smart.select = {"id", "saved_search_id.form_values"};
  smart.where = Condition::And({Condition::Leaf("id", Op::kIn, IdList(groups)),
                                Condition::Leaf("saved_search_id", Op::kIsNotNull)});
  smart.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(auto smart_rows, txn.Select(smart));
  for (const Value& row : smart_rows) {
    int64_t id = row["id"].get<int64_t>();
    const Value& text = row["saved_search_id.form_values"];
    if (!text.is_string()) continue;  // a saved search without criteria selects nobody
    if (std::find(smart_chain.begin(), smart_chain.end(), id) != smart_chain.end()) {
      return InvalidArgument("smart group " + std::to_string(id) +
                                 " refers to itself through its criteria",
                             {{"error_code", "circular-group"}});
    }
    if (static_cast<int>(smart_chain.size()) >= kMaxSmartGroupDepth) {
      return InvalidArgument("smart groups refer to each other more than " +
                                 std::to_string(kMaxSmartGroupDepth) + " deep (at group " +
                                 std::to_string(id) + ")",
                             {{"error_code", "circular-group"}});
    }
    KITH_ASSIGN_OR_RETURN(Value criteria, ParseSmartCriteria(id, text.get<std::string>()));
    ContactFilterOptions options;
    options.txn = &txn;
    options.smart_chain = smart_chain;
    options.smart_chain.push_back(id);
    KITH_ASSIGN_OR_RETURN(ContactFilter filter, BuildContactFilter(catalog, criteria, options));
    any.push_back(Condition::And(
        {std::move(filter.condition),
         Condition::InQuery("id", MembersWithStatus({id}, "Removed"), /*negate=*/true)}));
  }
  return any.size() == 1 ? std::move(any[0]) : Condition::Or(std::move(any));
}

}  // namespace kith::entities
