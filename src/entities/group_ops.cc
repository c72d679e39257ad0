#include "entities/group_ops.h"

#include <set>

#include "api/field_values.h"
#include "base/clock.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/contact_filters.h"
#include "entities/group_membership.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

struct Membership {
  int64_t id = 0;  // 0: no row
  std::string status;
};

StatusOr<Membership> FindMembership(store::Transaction& txn, int64_t group_id, int64_t contact_id) {
  Query q;
  q.entity = "GroupContact";
  q.select = {"id", "status"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact_id),
                            Condition::Leaf("group_id", Op::kEq, group_id)});
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return Membership{};
  return Membership{rows[0]["id"].get<int64_t>(), api::ValueAsText(rows[0]["status"])};
}

Status SetMembership(store::Transaction& txn, const Membership& existing, int64_t group_id,
                     int64_t contact_id, const std::string& status) {
  if (existing.id != 0) return txn.Update("GroupContact", existing.id, {{"status", status}});
  return txn.Insert("GroupContact",
                    {{"group_id", group_id}, {"contact_id", contact_id}, {"status", status}})
      .status();
}

Value TrackingText(const Value& tracking) {
  if (tracking.is_null()) return tracking;
  std::string text = api::ValueAsText(tracking);
  if (text.size() > 255) text.resize(255);
  return text;
}

// The ids in `column` of the GroupNesting rows whose `key` is `id`, as
// CiviCRM's comma-separated text (NULL when none).
StatusOr<Value> NestingText(store::Transaction& txn, const char* column, const char* key,
                            int64_t id) {
  Query q;
  q.entity = "GroupNesting";
  q.select = {column};
  q.where = Condition::Leaf(key, Op::kEq, id);
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  std::vector<std::string> ids;
  for (const Value& r : rows) ids.push_back(api::ValueAsText(r[column]));
  if (ids.empty()) return Value(nullptr);
  return Value(Join(ids, ","));
}

Status RefreshNestingColumns(store::Transaction& txn, int64_t group_id) {
  KITH_ASSIGN_OR_RETURN(Value parents, NestingText(txn, "parent_group_id", "child_group_id", group_id));
  KITH_ASSIGN_OR_RETURN(Value children, NestingText(txn, "child_group_id", "parent_group_id", group_id));
  return txn.Update("Group", group_id, {{"parents", parents}, {"children", children}});
}

Status CircularNesting(const std::string& detail) {
  return InvalidArgument("Circular group nesting: " + detail,
                         {{"error_code", "circular-group"}, {"error_field", "parents"}});
}

}  // namespace

bool IsGroupContactStatus(const std::string& status) {
  return status == "Added" || status == "Removed" || status == "Pending";
}

Status CheckIdsExist(store::Transaction& txn, const std::string& entity, const std::string& field,
                     const std::vector<int64_t>& ids) {
  std::set<int64_t> wanted(ids.begin(), ids.end());
  if (wanted.empty()) return Status();
  Query q;
  q.entity = entity;
  q.select = {"id"};
  Value list = Value::array();
  for (int64_t id : wanted) list.push_back(id);
  q.where = Condition::Leaf("id", Op::kIn, list);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  std::set<int64_t> found;
  for (const Value& r : rows) found.insert(r["id"].get<int64_t>());
  for (int64_t id : ids) {
    if (!found.count(id)) {
      return InvalidArgument(field + " is not valid: " + std::to_string(id),
                             {{"error_code", 2001}, {"error_field", field}});
    }
  }
  return Status();
}

Status RecordSubscription(api::ActionContext& ctx, int64_t contact_id, int64_t group_id,
                          const std::string& status, const std::string& method,
                          const Value& tracking) {
  return ctx.txn
      .Insert("SubscriptionHistory", {{"contact_id", contact_id},
                                      {"group_id", group_id},
                                      {"date", FormatDateTime(Clock::Real().NowSeconds())},
                                      {"method", method},
                                      {"status", status},
                                      {"tracking", TrackingText(tracking)}})
      .status();
}

StatusOr<MembershipCounts> AddContactsToGroup(api::ActionContext& ctx, int64_t group_id,
                                              const std::vector<int64_t>& contact_ids,
                                              const std::string& status, const std::string& method,
                                              const Value& tracking, NotAddedRule rule) {
  MembershipCounts counts;
  counts.total = static_cast<int64_t>(contact_ids.size());
  for (int64_t contact_id : contact_ids) {
    KITH_ASSIGN_OR_RETURN(Membership existing, FindMembership(ctx.txn, group_id, contact_id));
    bool unchanged = existing.id != 0 && (rule == NotAddedRule::kAlreadyAdded
                                              ? existing.status == "Added"
                                              : existing.status == status);
    if (unchanged) {
      ++counts.unchanged;
      continue;
    }
    KITH_RETURN_IF_ERROR(RecordSubscription(ctx, contact_id, group_id, status, method, tracking));
    KITH_RETURN_IF_ERROR(SetMembership(ctx.txn, existing, group_id, contact_id, status));
    ++counts.changed;
  }
  return counts;
}

StatusOr<MembershipCounts> RemoveContactsFromGroup(api::ActionContext& ctx, int64_t group_id,
                                                   const std::vector<int64_t>& contact_ids,
                                                   const std::string& status,
                                                   const std::string& method,
                                                   const Value& tracking) {
  Query q;
  q.entity = "Group";
  q.select = {"saved_search_id"};
  q.where = Condition::Leaf("id", Op::kEq, group_id);
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  bool smart = !rows.empty() && !rows[0]["saved_search_id"].is_null();
  MembershipCounts counts;
  counts.total = static_cast<int64_t>(contact_ids.size());
  for (int64_t contact_id : contact_ids) {
    KITH_ASSIGN_OR_RETURN(Membership existing, FindMembership(ctx.txn, group_id, contact_id));
    if (existing.id != 0 || smart) {
      ++counts.changed;
    } else {
      ++counts.unchanged;
    }
    // Even a contact that was not a member gets a Removed row (CiviCRM's
    // CRM-3711): it keeps the contact out of the group's search too.
    KITH_RETURN_IF_ERROR(RecordSubscription(ctx, contact_id, group_id, status, method, tracking));
    KITH_RETURN_IF_ERROR(SetMembership(ctx.txn, existing, group_id, contact_id, status));
  }
  return counts;
}

StatusOr<MembershipCounts> ChangeMemberships(api::ActionContext& ctx,
                                             const std::vector<int64_t>& group_ids,
                                             const std::vector<int64_t>& contact_ids, bool removing,
                                             const std::string& status, const std::string& method,
                                             const Value& tracking, NotAddedRule rule) {
  MembershipCounts sum;
  for (int64_t group : group_ids) {
    MembershipCounts c;
    if (removing) {
      KITH_ASSIGN_OR_RETURN(
          c, RemoveContactsFromGroup(ctx, group, contact_ids, status, method, tracking));
    } else {
      KITH_ASSIGN_OR_RETURN(
          c, AddContactsToGroup(ctx, group, contact_ids, status, method, tracking, rule));
    }
    sum.total += c.total;
    sum.changed += c.changed;
    sum.unchanged += c.unchanged;
  }
  return sum;
}

Status AddGroupParent(api::ActionContext& ctx, int64_t child, int64_t parent) {
  if (child == parent) {
    return CircularNesting("group " + std::to_string(child) + " cannot be its own parent");
  }
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "parents", {parent}));
  KITH_ASSIGN_OR_RETURN(bool below, IsSameOrDescendant(ctx.txn, child, parent));
  if (below) {
    return CircularNesting("group " + std::to_string(parent) + " is nested below group " +
                           std::to_string(child) + ", so it cannot also be its parent");
  }
  Query q;
  q.entity = "GroupNesting";
  q.select = {"id"};
  q.where = Condition::And({Condition::Leaf("parent_group_id", Op::kEq, parent),
                            Condition::Leaf("child_group_id", Op::kEq, child)});
  KITH_ASSIGN_OR_RETURN(int64_t existing, ctx.txn.Count(q));
  if (existing > 0) return Status();
  KITH_RETURN_IF_ERROR(
      ctx.txn.Insert("GroupNesting", {{"child_group_id", child}, {"parent_group_id", parent}})
          .status());
  KITH_RETURN_IF_ERROR(RefreshNestingColumns(ctx.txn, child));
  KITH_RETURN_IF_ERROR(RefreshNestingColumns(ctx.txn, parent));
  // A loop can also run through smart group criteria: every such loop
  // through the new link passes through `parent`.
  auto members = GroupMembersCondition(ctx.txn, ctx.catalog, {parent});
  if (!members.ok()) {
    return CircularNesting("nesting group " + std::to_string(child) + " under group " +
                           std::to_string(parent) + " would make " +
                           std::string(members.status().message()));
  }
  return Status();
}

Status SetSmartCriteria(api::ActionContext& ctx, int64_t group_id, const Value& criteria) {
  if (!criteria.is_object() || criteria.empty()) {
    return InvalidArgument("formValues must be a non-empty JSON object of contact criteria",
                           {{"error_code", 2001}, {"error_field", "formValues"}});
  }
  ContactFilterOptions options;
  options.txn = &ctx.txn;
  options.smart_chain = {group_id};
  KITH_ASSIGN_OR_RETURN(ContactFilter filter, BuildContactFilter(ctx.catalog, criteria, options));
  if (!filter.unknown.empty()) {
    // No silent drops on writes: a criterion no search understands is a typo.
    return InvalidArgument("Unknown field in formValues: " + filter.unknown[0],
                           {{"error_code", 2001}, {"error_field", "formValues"}});
  }
  Query q;
  q.entity = "Group";
  q.select = {"saved_search_id"};
  q.where = Condition::Leaf("id", Op::kEq, group_id);
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) return NotFound("Group id " + std::to_string(group_id) + " not found");
  std::string now = FormatDateTime(Clock::Real().NowSeconds());
  Value search{{"form_values", criteria.dump()}, {"api_entity", "Contact"}, {"modified_date", now}};
  if (ctx.caller.contact_id > 0) search["modified_id"] = ctx.caller.contact_id;
  if (rows[0]["saved_search_id"].is_number_integer()) {
    KITH_RETURN_IF_ERROR(
        ctx.txn.Update("SavedSearch", rows[0]["saved_search_id"].get<int64_t>(), search));
  } else {
    search["created_date"] = now;
    if (ctx.caller.contact_id > 0) search["created_id"] = ctx.caller.contact_id;
    KITH_ASSIGN_OR_RETURN(int64_t search_id, ctx.txn.Insert("SavedSearch", search));
    KITH_RETURN_IF_ERROR(ctx.txn.Update("Group", group_id, {{"saved_search_id", search_id}}));
  }
  // The criteria may lead back to this group through other groups.
  return GroupMembersCondition(ctx.txn, ctx.catalog, {group_id}).status();
}

Status DeleteGroup(api::ActionContext& ctx, int64_t group_id) {
  Query q;
  q.entity = "Group";
  q.select = {"saved_search_id"};
  q.where = Condition::Leaf("id", Op::kEq, group_id);
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) return NotFound("Group id " + std::to_string(group_id) + " not found");
  Value saved_search = rows[0]["saved_search_id"];

  std::set<int64_t> neighbours;
  Query nesting;
  nesting.entity = "GroupNesting";
  nesting.select = {"child_group_id", "parent_group_id"};
  nesting.where = Condition::Or({Condition::Leaf("child_group_id", Op::kEq, group_id),
                                 Condition::Leaf("parent_group_id", Op::kEq, group_id)});
  KITH_ASSIGN_OR_RETURN(auto links, ctx.txn.Select(nesting));
  for (const Value& l : links) {
    neighbours.insert(l["child_group_id"].get<int64_t>());
    neighbours.insert(l["parent_group_id"].get<int64_t>());
  }
  neighbours.erase(group_id);

  // Memberships, history and nesting rows go with the group (ON DELETE CASCADE).
  KITH_RETURN_IF_ERROR(ctx.txn.Delete("Group", group_id));
  for (int64_t other : neighbours) KITH_RETURN_IF_ERROR(RefreshNestingColumns(ctx.txn, other));
  if (saved_search.is_number_integer()) {
    KITH_RETURN_IF_ERROR(ctx.txn.Delete("SavedSearch", saved_search.get<int64_t>()));
  }
  return Status();
}

}  // namespace kith::entities
