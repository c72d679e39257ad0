// Group and GroupContact in APIv3 (shared/PROTOCOL.md C.2.5).
// Group: a name made from the title when none is given (<munged title less
// its last 4 characters>_<id>, as CiviCRM 6 names it), CiviCRM's columns,
// delete answering true. GroupContact: create counts (total_count, added,
// not_added, or removed/not_removed), get with contact_id in the 3.2-like
// shape (title, visibility, in_date, in_method, ...), delete setting the
// status Removed, replace making a contact's groups exactly those given.
#include <algorithm>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/group_ops.h"
#include "entities/group_rules.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

bool Given(const Value& params, const std::string& key) {
  return params.contains(key) && !params[key].is_null() &&
         !(params[key].is_string() && params[key].get_ref<const std::string&>().empty());
}

// ---- Group ----

StatusOr<Value> GroupCreate(ActionContext& ctx, const V3Hooks& hooks) {
  const Value& params = ctx.params;
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "Group", params));
  KITH_ASSIGN_OR_RETURN(Value result, GenericCreate(ctx, "Group", hooks));
  if (id || Given(params, "name")) return result;
  // CiviCRM 6 names a group after its title and its id.
  Value& row = *result["values"].begin();
  int64_t group_id = std::stoll(api::ValueAsText(row["id"]));
  KITH_RETURN_IF_ERROR(NameGroupAfterId(ctx, group_id));
  row["name"] = GroupNameWithId(api::ValueAsText(row["title"]), group_id);
  return result;
}

StatusOr<Value> GroupDelete(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "Group", ctx.params));
  if (!id) return MandatoryMissing({"id"});
  Status s = DeleteGroup(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Could not delete group " + std::to_string(*id));
  }
  KITH_RETURN_IF_ERROR(s);
  return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", true}};
}

// ---- GroupContact ----

// Ids of every parameter named `prefix`, `prefix.N` or `prefix_N` (one
// value, a list or an object of them), in request order.
StatusOr<std::vector<int64_t>> PrefixedIds(const Value& params, const std::string& prefix) {
  std::vector<int64_t> ids;
  auto add = [&](const std::string& key, const Value& v) -> Status {
    if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty())) return Status();
    auto n = v.is_number_integer() ? std::optional<int64_t>(v.get<int64_t>())
                                   : ParseInt64(std::string(TrimAscii(api::ValueAsText(v))));
    if (!n) {
      return InvalidArgument(key + " is not a valid integer: " + api::ValueAsText(v),
                             Value{{"error_code", 2001}, {"error_field", key}});
    }
    if (std::find(ids.begin(), ids.end(), *n) == ids.end()) ids.push_back(*n);
    return Status();
  };
  for (const auto& [key, value] : params.items()) {
    bool match = key == prefix || ((key.rfind(prefix + ".", 0) == 0 || key.rfind(prefix + "_", 0) == 0) &&
                                   ParseInt64(key.substr(prefix.size() + 1)).has_value());
    if (!match) continue;
    if (value.is_array() || value.is_object()) {
      for (const auto& item : value.items()) KITH_RETURN_IF_ERROR(add(key, item.value()));
    } else {
      KITH_RETURN_IF_ERROR(add(key, value));
    }
  }
  return ids;
}

StatusOr<std::string> StatusParam(const Value& params) {
  std::string status = Given(params, "status") ? api::ValueAsText(params["status"]) : "Added";
  if (!IsGroupContactStatus(status)) {
    return InvalidArgument("'" + status + "' is not a valid option for field status",
                           Value{{"error_code", 2001}, {"error_field", "status"}});
  }
  return status;
}

StatusOr<Value> GroupContactCreate(ActionContext& ctx) {
  const Value& p = ctx.params;
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> groups, PrefixedIds(p, "group_id"));
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, PrefixedIds(p, "contact_id"));
  std::vector<std::string> missing;
  if (groups.empty()) missing.push_back("group_id");
  if (contacts.empty()) missing.push_back("contact_id");
  if (!missing.empty()) return MandatoryMissing(missing);
  KITH_ASSIGN_OR_RETURN(std::string status, StatusParam(p));
  std::string method = Given(p, "method") ? api::ValueAsText(p["method"]) : "API";
  Value tracking = p.value("tracking", Value());
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "group_id", groups));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", contacts));
  bool removed = status == "Removed";
  KITH_ASSIGN_OR_RETURN(MembershipCounts total,
                        ChangeMemberships(ctx, groups, contacts, removed, status, method, tracking,
                                          NotAddedRule::kSameStatus));
  Value out{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}, {"total_count", total.total}};
  out[removed ? "removed" : "added"] = total.changed;
  out[removed ? "not_removed" : "not_added"] = total.unchanged;
  return out;
}

// The date and method of the latest history row of a membership with `status`.
StatusOr<Value> LatestHistory(store::Transaction& txn, const Value& contact, const Value& group,
                              const std::string& status) {
  Query q;
  q.entity = "SubscriptionHistory";
  q.select = {"date", "method"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact),
                            Condition::Leaf("group_id", Op::kEq, group),
                            Condition::Leaf("status", Op::kEq, status)});
  q.order_by = {{"date", true}, {"id", true}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  return rows.empty() ? Value{{"date", nullptr}, {"method", nullptr}} : rows[0];
}

// GroupContact.get with contact_id: the contact's groups, shaped as
// CiviCRM's GroupContact::getContactGroup answers them.
StatusOr<V3Rows> ContactGroupRows(ActionContext& ctx, const Value& params, const V3Options& options) {
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, PrefixedIds(Value{{"contact_id", params["contact_id"]}}, "contact_id"));
  KITH_ASSIGN_OR_RETURN(std::string status, StatusParam(params));
  std::string prefix = status == "Added" ? "in_" : status == "Removed" ? "out_" : "pending_";
  Query q;
  q.entity = "GroupContact";
  q.select = {"id", "group_id", "contact_id", "group_id.title", "group_id.visibility",
              "group_id.is_hidden", "group_id.saved_search_id"};
  Value in = Value::array();
  for (int64_t c : contacts) in.push_back(c);
  std::vector<Condition> where = {Condition::Leaf("contact_id", Op::kIn, in),
                                  Condition::Leaf("status", Op::kEq, status)};
  if (Given(params, "group_id")) {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> groups, PrefixedIds(params, "group_id"));
    Value g = Value::array();
    for (int64_t x : groups) g.push_back(x);
    where.push_back(Condition::Leaf("group_id", Op::kIn, g));
  }
  q.where = Condition::And(std::move(where));
  q.order_by = {{"group_id.title", false}, {"id", false}};
  q.limit = options.limit;
  q.offset = options.offset;
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  V3Rows out;
  for (const Value& row : rows) {
    KITH_ASSIGN_OR_RETURN(Value history, LatestHistory(ctx.txn, row["contact_id"], row["group_id"], status));
    std::string id = api::ValueAsText(row["id"]);
    out.rows[id] = Value{{"id", id},
                         {"group_id", V3Text(row["group_id"])},
                         {"title", V3Text(row["group_id.title"])},
                         {"visibility", V3Text(row["group_id.visibility"])},
                         {"is_hidden", V3Text(row["group_id.is_hidden"])},
                         {"saved_search_id", V3Text(row["group_id.saved_search_id"])},
                         {prefix + "date", V3Text(history["date"])},
                         {prefix + "method", V3Text(history["method"])}};
  }
  return out;
}

StatusOr<V3Rows> GroupContactRows(ActionContext& ctx, const Value& params, const V3Options& options) {
  if (Given(params, "contact_id") && !params["contact_id"].is_object()) {
    return ContactGroupRows(ctx, params, options);
  }
  Value with_status = params;
  if (!Given(with_status, "status")) with_status["status"] = "Added";
  return GenericRows(ctx, "GroupContact", V3Hooks{}, with_status, options);
}

StatusOr<Value> GroupContactDelete(ActionContext& ctx) {
  const Value& p = ctx.params;
  int64_t contact = 0, group = 0, row_id = 0;
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> id, RequestedId(ctx, "GroupContact", p));
  if (id) {
    Query q;
    q.entity = "GroupContact";
    q.select = {"contact_id", "group_id"};
    q.where = Condition::Leaf("id", Op::kEq, *id);
    KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
    if (rows.empty()) return InvalidArgument("Cannot Delete GroupContact");
    contact = rows[0]["contact_id"].get<int64_t>();
    group = rows[0]["group_id"].get<int64_t>();
    row_id = *id;
  } else {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, PrefixedIds(p, "contact_id"));
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> groups, PrefixedIds(p, "group_id"));
    if (contacts.size() != 1 || groups.size() != 1) return MandatoryMissing({"id"});
    contact = contacts[0];
    group = groups[0];
  }
  if (Truthy(p.value("skip_undelete", Value()))) {
    if (row_id == 0) {
      Query q;
      q.entity = "GroupContact";
      q.select = {"id"};
      q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact),
                                Condition::Leaf("group_id", Op::kEq, group)});
      KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
      if (rows.empty()) return InvalidArgument("Cannot Delete GroupContact");
      row_id = rows[0]["id"].get<int64_t>();
    }
    KITH_RETURN_IF_ERROR(ctx.txn.Delete("GroupContact", row_id));
    return Value{{"is_error", 0}, {"version", 3}, {"count", 1}, {"values", 1}};
  }
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", {contact}));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "group_id", {group}));
  KITH_ASSIGN_OR_RETURN(MembershipCounts c,
                        RemoveContactsFromGroup(ctx, group, {contact}, "Removed", "API", Value()));
  return Value{{"is_error", 0}, {"version", 3},        {"count", 1},
               {"values", 1},   {"total_count", c.total}, {"removed", c.changed},
               {"not_removed", c.unchanged}};
}

// A contact's groups become exactly those of `values`: each added, the
// other groups it is Added to removed.
StatusOr<Value> GroupContactReplace(ActionContext& ctx) {
  const Value& p = ctx.params;
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, PrefixedIds(p, "contact_id"));
  if (contacts.size() != 1) return MandatoryMissing({"contact_id"});
  if (!p.contains("values") || (!p["values"].is_array() && !p["values"].is_object())) {
    return MandatoryMissing({"values"});
  }
  std::vector<int64_t> wanted;
  for (const auto& item : p["values"].items()) {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> g, PrefixedIds(item.value(), "group_id"));
    if (g.empty()) return MandatoryMissing({"group_id"});
    for (int64_t x : g) wanted.push_back(x);
  }
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "group_id", wanted));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", contacts));
  KITH_RETURN_IF_ERROR(ChangeMemberships(ctx, wanted, contacts, /*removing=*/false, "Added", "API",
                                         Value(), NotAddedRule::kSameStatus)
                           .status());
  Query q;
  q.entity = "GroupContact";
  q.select = {"group_id"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contacts[0]),
                            Condition::Leaf("status", Op::kEq, "Added")});
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  for (const Value& r : rows) {
    int64_t g = r["group_id"].get<int64_t>();
    if (std::find(wanted.begin(), wanted.end(), g) != wanted.end()) continue;
    KITH_RETURN_IF_ERROR(RemoveContactsFromGroup(ctx, g, contacts, "Removed", "API", Value()).status());
  }
  V3Options all;
  all.limit = 0;
  KITH_ASSIGN_OR_RETURN(V3Rows now, ContactGroupRows(ctx, Value{{"contact_id", contacts[0]}}, all));
  return V3Success(now.rows, Truthy(p.value("sequential", Value())));
}

}  // namespace

void AddGroupHooks(V3HooksTable& table) {
  V3Hooks& group = table["Group"];
  group.create_echo = {"title"};
  group.update_echo = {"title"};
  group.create_defaults = Value{{"is_active", 1}};
  group.delete_result = true;
  V3Hooks copy = group;
  group.create = [copy](ActionContext& ctx) { return GroupCreate(ctx, copy); };
  group.remove = GroupDelete;

  V3Hooks& gc = table["GroupContact"];
  gc.rows = GroupContactRows;
  gc.count = [](ActionContext& ctx, const Value& params) -> StatusOr<int64_t> {
    Value with_status = params;
    if (!Given(with_status, "status")) with_status["status"] = "Added";
    return GenericCount(ctx, "GroupContact", with_status);
  };
  gc.create = GroupContactCreate;
  gc.remove = GroupContactDelete;
  gc.replace = true;
  gc.replace_action = GroupContactReplace;
}

}  // namespace kith::entities::v3
