#include "entities/v2/v2_actions.h"

#include <algorithm>
#include <tuple>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/group_membership.h"
#include "entities/group_ops.h"
#include "entities/v2/v2_params.h"

namespace kith::entities::v2 {
namespace {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

// PHP's truth of a request value: "", "0" and missing are false.
bool Given(const Value& params, const char* key) {
  if (!params.contains(key)) return false;
  const Value& v = params[key];
  if (v.is_object() || v.is_array()) return !v.empty();
  std::string text = api::ValueAsText(v);
  return !text.empty() && text != "0";
}

// ---------------------------------------------------------------- group/add

// `parents` as 3.2 took it: one id, or parents[ID]=1; kith also takes a
// comma list and a JSON list.
StatusOr<std::vector<int64_t>> ParentIds(const Value& given) {
  std::vector<int64_t> ids;
  std::vector<std::string> tokens;
  if (given.is_object()) {
    for (const auto& [k, v] : given.items()) {
      std::string text = api::ValueAsText(v);
      if (!text.empty() && text != "0") tokens.push_back(k);
    }
  } else {
    std::vector<Value> values;
    Flatten(given, values);
    for (const Value& v : values) {
      std::string text = api::ValueAsText(v);  // Split's views point into it
      for (std::string_view part : Split(text, ',', true)) {
        tokens.emplace_back(TrimAscii(part));
      }
    }
  }
  for (const std::string& t : tokens) {
    if (t.empty()) continue;
    KITH_ASSIGN_OR_RETURN(int64_t id, IdValue(Value(t), "parents"));
    ids.push_back(id);
  }
  return ids;
}

// formValues: a JSON object as text, or PHP brackets (formValues[city]=...).
StatusOr<Value> SmartCriteria(const Value& given) {
  if (given.is_object()) return given;
  Value parsed = Value::parse(api::ValueAsText(given), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return InvalidArgument("formValues is not a JSON object of contact criteria",
                           {{"error_code", 2001}, {"error_field", "formValues"}});
  }
  return parsed;
}

StatusOr<Value> GroupAdd(ActionContext& ctx) {
  const schema::Entity* group = ctx.catalog.Find("Group");
  Value input = Value::object();
  for (const auto& [k, v] : ctx.params.items()) {
    if (!IsV2EnvelopeParam(k)) input[k] = v;
  }
  if (input.empty()) return InvalidArgument("Required parameter missing");
  if (!Given(input, "title")) return InvalidArgument("Required parameter title missing");

  std::optional<int64_t> id;
  if (input.contains("id") && !api::ValueAsText(input["id"]).empty()) {
    KITH_ASSIGN_OR_RETURN(id, IdValue(input["id"], "id"));
    KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "id", {*id}));
  }
  input.erase("id");
  Value parents = input.contains("parents") ? input["parents"] : Value();
  Value form_values = input.contains("formValues") ? input["formValues"] : Value();
  input.erase("parents");
  input.erase("formValues");
  // 3.2's schema has no default for is_active: a group added without it is
  // inactive (and so invisible to group/get).
  if (!id && !input.contains("is_active")) input["is_active"] = false;
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*group, input, /*ignore_unknown=*/false));

  int64_t group_id;
  if (id) {
    group_id = *id;
    KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "Group", group_id, values));
  } else {
    KITH_ASSIGN_OR_RETURN(group_id, api::CreateRecord(ctx, "Group", values));
  }
  if (!parents.is_null()) {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> parent_ids, ParentIds(parents));
    for (int64_t parent : parent_ids) KITH_RETURN_IF_ERROR(AddGroupParent(ctx, group_id, parent));
  }
  if (!form_values.is_null()) {
    KITH_ASSIGN_OR_RETURN(Value criteria, SmartCriteria(form_values));
    KITH_RETURN_IF_ERROR(SetSmartCriteria(ctx, group_id, criteria));
  }
  return Value(group_id);
}

// ---------------------------------------------------------------- group/get

// return[x]=1 arrives as an object; a JSON body may spell it return.x.
std::vector<std::string> ReturnKeys(const Value& params) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : params.items()) {
    if (key == "return" && value.is_object()) {
      for (const auto& [k, v] : value.items()) keys.push_back(k);
    } else if (key.rfind("return.", 0) == 0) {
      keys.push_back(key.substr(7));
    }
  }
  return keys;
}

StatusOr<int64_t> MemberCount(ActionContext& ctx, int64_t group_id) {
  KITH_ASSIGN_OR_RETURN(Condition members, GroupMembersCondition(ctx.txn, ctx.catalog, {group_id}));
  Query q;
  q.entity = "Contact";
  q.where = Condition::And({std::move(members), Condition::Leaf("is_deleted", Op::kEq, 0)});
  return ctx.txn.Count(q);
}

StatusOr<Value> GroupGet(ActionContext& ctx) {
  const schema::Entity* group = ctx.catalog.Find("Group");
  std::vector<Condition> where;
  bool active_given = false;
  for (const auto& [key, value] : ctx.params.items()) {
    if (IsV2EnvelopeParam(key) || key == "return" || key.rfind("return.", 0) == 0) continue;
    const schema::Field* f = group->FindField(key);
    if (f == nullptr || f->internal) continue;  // 3.2 ignores what it does not know
    active_given = active_given || key == "is_active";
    if (value.is_array() || value.is_object()) {
      std::vector<Value> values;
      Flatten(value, values);
      Value list = Value::array();
      for (const Value& v : values) {
        KITH_ASSIGN_OR_RETURN(Value stored, api::CoerceFieldValue(*f, v));
        list.push_back(stored);
      }
      where.push_back(Condition::Leaf(key, Op::kIn, list));
    } else if (key == "name" || key == "title") {
      // LIKE as given: 3.2 adds no wildcards.
      where.push_back(Condition::Leaf(key, Op::kLike, api::ValueAsText(value)));
    } else {
      KITH_ASSIGN_OR_RETURN(Value stored, api::CoerceFieldValue(*f, value));
      where.push_back(Condition::Leaf(key, Op::kEq, stored));
    }
  }
  // Only active groups, unless the caller asks about is_active itself (3.2
  // set is_active=1 first and let a parameter of that name replace it).
  if (!active_given) where.push_back(Condition::Leaf("is_active", Op::kEq, 1));

  std::vector<std::string> wanted = ReturnKeys(ctx.params);
  bool member_count = std::find(wanted.begin(), wanted.end(), "member_count") != wanted.end();
  Query q;
  q.entity = "Group";
  for (const schema::Field& f : group->fields) {
    if (f.internal) continue;
    if (wanted.empty() || f.name == "id" ||
        std::find(wanted.begin(), wanted.end(), f.name) != wanted.end()) {
      q.select.push_back(f.name);
    }
  }
  q.where = Condition::And(std::move(where));
  q.order_by = {{"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) return InvalidArgument("No such group exists");
  Value result = Value::object();
  for (const Value& row : rows) {
    Value out = Value::object();
    for (const std::string& path : q.select) {
      if (!row[path].is_null()) out[path] = api::ValueAsText(row[path]);  // 3.2 leaves out NULLs
    }
    if (member_count) {
      KITH_ASSIGN_OR_RETURN(int64_t n, MemberCount(ctx, row["id"].get<int64_t>()));
      out["member_count"] = std::to_string(n);
    }
    result[api::ValueAsText(row["id"])] = std::move(out);
  }
  return result;
}

// ------------------------------------------------------------- group/delete

StatusOr<Value> GroupDelete(ActionContext& ctx) {
  if (!Given(ctx.params, "id")) return InvalidArgument("Required parameter missing");
  std::string text = api::ValueAsText(ctx.params["id"]);
  auto id = ParseInt64(TrimAscii(text));
  if (!id) return InvalidArgument("Could not delete group " + text);
  Status s = DeleteGroup(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Could not delete group " + text,
                           {{"error_code", 2001}, {"error_field", "id"}});
  }
  KITH_RETURN_IF_ERROR(s);
  return Value(true);
}

// ------------------------------------------------------------ group_contact

StatusOr<std::string> ChoiceParam(const Value& params, const char* key, const std::string& fallback,
                                  const std::vector<std::string>& allowed) {
  if (!params.contains(key) || api::ValueAsText(params[key]).empty()) return fallback;
  std::string value = api::ValueAsText(params[key]);
  for (const std::string& a : allowed) {
    if (EqualsIgnoreCase(a, value)) return a;
  }
  return InvalidArgument(std::string(key) + " is not valid: " + value + " (one of " +
                             Join(allowed, ", ") + ")",
                         {{"error_code", 2001}, {"error_field", key}});
}

const std::vector<std::string>& Statuses() {
  static const std::vector<std::string> statuses = {"Added", "Removed", "Pending"};
  return statuses;
}

StatusOr<std::string> MethodParam(const Value& params) {
  return ChoiceParam(params, "method", "API", {"Admin", "Email", "Web", "API"});
}

enum class MembershipOp { kAdd, kPending, kRemove };

StatusOr<Value> GroupContactChange(ActionContext& ctx, MembershipOp op) {
  const Value& p = ctx.params;
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, PrefixedIds(p, "contact_id"));
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> groups, PrefixedIds(p, "group_id"));
  if (contacts.empty()) return InvalidArgument("contact_id is a required field");
  if (groups.empty()) return InvalidArgument("group_id is a required field");
  KITH_ASSIGN_OR_RETURN(std::string method, MethodParam(p));
  const char* fallback = op == MembershipOp::kAdd       ? "Added"
                         : op == MembershipOp::kPending ? "Pending"
                                                        : "Removed";
  KITH_ASSIGN_OR_RETURN(std::string status, ChoiceParam(p, "status", fallback, Statuses()));
  Value tracking = p.contains("tracking") ? p["tracking"] : Value();
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", contacts));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "group_id", groups));

  bool removing = op == MembershipOp::kRemove;
  KITH_ASSIGN_OR_RETURN(MembershipCounts sum,
                        ChangeMemberships(ctx, groups, contacts, removing, status, method, tracking,
                                          NotAddedRule::kAlreadyAdded));
  return Value{{"is_error", 0},
               {"total_count", sum.total},
               {removing ? "removed" : "added", sum.changed},
               {removing ? "not_removed" : "not_added", sum.unchanged}};
}

// Confirms a membership: its row becomes Added (3.2's
// updateGroupMembershipStatus). kith refuses a contact with no row in the
// group, where 3.2 wrote history for a membership that did not exist.
StatusOr<Value> GroupContactUpdateStatus(ActionContext& ctx) {
  const Value& p = ctx.params;
  if (!Given(p, "contact_id")) return InvalidArgument("contact_id is a required field");
  if (!Given(p, "group_id")) return InvalidArgument("group_id is a required field");
  KITH_ASSIGN_OR_RETURN(int64_t contact, IdValue(p["contact_id"], "contact_id"));
  KITH_ASSIGN_OR_RETURN(int64_t group, IdValue(p["group_id"], "group_id"));
  KITH_ASSIGN_OR_RETURN(std::string method, MethodParam(p));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", {contact}));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Group", "group_id", {group}));
  Query q;
  q.entity = "GroupContact";
  q.select = {"id"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact),
                            Condition::Leaf("group_id", Op::kEq, group)});
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  if (rows.empty()) {
    return InvalidArgument("contact " + std::to_string(contact) + " has no membership in group " +
                               std::to_string(group) + " to update",
                           {{"error_code", 2001}, {"error_field", "contact_id"}});
  }
  KITH_RETURN_IF_ERROR(
      ctx.txn.Update("GroupContact", rows[0]["id"].get<int64_t>(), {{"status", "Added"}}));
  KITH_RETURN_IF_ERROR(RecordSubscription(ctx, contact, group, "Added", method,
                                          p.contains("tracking") ? p["tracking"] : Value()));
  return Value(true);
}

// The newest history row of a membership, optionally of one status.
StatusOr<Value> LatestHistory(store::Transaction& txn, int64_t contact, int64_t group,
                              const char* status) {
  Query q;
  q.entity = "SubscriptionHistory";
  q.select = {"date", "method"};
  std::vector<Condition> where = {Condition::Leaf("contact_id", Op::kEq, contact),
                                  Condition::Leaf("group_id", Op::kEq, group)};
  if (status != nullptr) where.push_back(Condition::Leaf("status", Op::kEq, status));
  q.where = Condition::And(std::move(where));
  q.order_by = {{"date", true}, {"id", true}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  return rows.empty() ? Value::object() : rows[0];
}

StatusOr<Value> GroupContactGet(ActionContext& ctx) {
  const Value& p = ctx.params;
  if (!p.contains("contact_id")) return InvalidArgument("contact_id is a required field");
  KITH_ASSIGN_OR_RETURN(int64_t contact, IdValue(p["contact_id"], "contact_id"));
  KITH_RETURN_IF_ERROR(CheckIdsExist(ctx.txn, "Contact", "contact_id", {contact}));
  KITH_ASSIGN_OR_RETURN(std::string status, ChoiceParam(p, "status", "Added", Statuses()));
  const std::string prefix = status == "Added" ? "in_" : status == "Removed" ? "out_" : "pending_";

  Query q;
  q.entity = "GroupContact";
  q.select = {"id", "group_id", "group_id.title", "group_id.visibility"};
  q.where = Condition::And({Condition::Leaf("contact_id", Op::kEq, contact),
                            Condition::Leaf("status", Op::kEq, status),
                            Condition::Leaf("group_id.is_active", Op::kEq, 1)});
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));

  struct Entry {
    std::string title, date;
    int64_t id;
    Value row;
  };
  std::vector<Entry> entries;
  for (const Value& r : rows) {
    int64_t group = r["group_id"].get<int64_t>();
    Value out = Value::object();
    out["id"] = api::ValueAsText(r["id"]);
    out["group_id"] = api::ValueAsText(r["group_id"]);
    out["title"] = api::ValueAsText(r["group_id.title"]);
    out["visibility"] = api::ValueAsText(r["group_id.visibility"]);
    KITH_ASSIGN_OR_RETURN(Value latest, LatestHistory(ctx.txn, contact, group, nullptr));
    std::string date = latest.contains("date") ? api::ValueAsText(latest["date"]) : "";
    if (!date.empty()) out[prefix + "date"] = date;
    if (latest.contains("method") && !latest["method"].is_null()) {
      out[prefix + "method"] = api::ValueAsText(latest["method"]);
    }
    if (status == "Removed") {
      KITH_ASSIGN_OR_RETURN(Value added, LatestHistory(ctx.txn, contact, group, "Added"));
      if (added.contains("date")) out["date_added"] = api::ValueAsText(added["date"]);
    }
    entries.push_back({out["title"].get<std::string>(), date, r["id"].get<int64_t>(), out});
  }
  // 3.2's order: by group title, then date.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.title, a.date, a.id) < std::tie(b.title, b.date, b.id);
  });
  Value result = Value::object();
  for (Entry& e : entries) result[std::to_string(e.id)] = std::move(e.row);
  return result;
}

}  // namespace

void RegisterGroupV2Actions(api::ActionRegistry& registry) {
  const std::vector<std::string> kRead = {"access CiviCRM"};
  const std::vector<std::string> kEditGroups = {"access CiviCRM", "edit groups"};
  // CiviCRM's permission table: memberships are written with "edit all contacts".
  const std::vector<std::string> kEditMembers = {"access CiviCRM", "edit all contacts"};
  auto add = [&](const char* entity, const char* action, const std::vector<std::string>& perms,
                 bool writes, const char* description, api::ActionHandler handler) {
    registry.Register({2, entity, action, perms, writes, description, std::move(handler)});
  };
  add("Group", "add", kEditGroups, true,
      "Creates a group, or updates it when id is given; formValues makes it a smart group",
      GroupAdd);
  add("Group", "get", kRead, false, "Active groups matching the filters", GroupGet);
  add("Group", "delete", kEditGroups, true, "Deletes a group with its memberships", GroupDelete);
  add("GroupContact", "add", kEditMembers, true, "Adds contacts to groups",
      [](ActionContext& ctx) { return GroupContactChange(ctx, MembershipOp::kAdd); });
  add("GroupContact", "pending", kEditMembers, true, "Adds contacts to groups as Pending",
      [](ActionContext& ctx) { return GroupContactChange(ctx, MembershipOp::kPending); });
  add("GroupContact", "remove", kEditMembers, true,
      "Removes contacts from groups (the row stays, as Removed)",
      [](ActionContext& ctx) { return GroupContactChange(ctx, MembershipOp::kRemove); });
  add("GroupContact", "update_status", kEditMembers, true,
      "Confirms a membership: its status becomes Added", GroupContactUpdateStatus);
  add("GroupContact", "get", kRead, false, "The groups of a contact, by membership status",
      GroupContactGet);
}

}  // namespace kith::entities::v2
