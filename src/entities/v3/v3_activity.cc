// APIv3 Activity and EntityTag, where they differ from the generic actions.
// Activity: create takes source_contact_id, target_contact_id and
// assignee_contact_id (one id or a list) and writes ActivityContact rows
// (the caller is the source when none is given); get takes contact_id (the
// activities a contact has in any role) and answers each row's source
// contact with its display and sort name, as CiviCRM's v3 get does.
// EntityTag: create and delete tag or untag records (entity_id, tag_id: one
// or a list) and answer CiviCRM's counts, {is_error, not_added, added,
// total_count}; an id alone deletes that row. Note and Tag: the columns
// their create answers show as CiviCRM's BAO set them.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/field_values.h"
#include "base/clock.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/activity_contacts.h"
#include "entities/contact_tags_notes.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

ActionContext WithParams(ActionContext& ctx, const Value& params) {
  return ActionContext{ctx.txn, ctx.caller, ctx.dispatcher, ctx.catalog, ctx.call, params};
}

StatusOr<Value> ActivityCreate(ActionContext& ctx, const V3Hooks& hooks) {
  Value params = ctx.params;
  Value roles = Value::object();
  for (const std::string& field : ActivityRoleFields()) {
    if (params.contains(field)) {
      roles[field] = params[field];
      params.erase(field);
    }
  }
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> existing, RequestedId(ctx, "Activity", params));
  // APIv3's create spec defaults the date to now (its answer shows it).
  if (!existing && api::ValueAsText(params.value("activity_date_time", Value())).empty()) {
    params["activity_date_time"] = FormatDateTime(Clock::Real().NowSeconds());
  }
  ActionContext inner = WithParams(ctx, params);
  KITH_ASSIGN_OR_RETURN(Value answer, GenericCreate(inner, "Activity", hooks));
  if (!answer.contains("id") || !answer["id"].is_number_integer()) return answer;
  int64_t id = answer["id"].get<int64_t>();
  if (!existing && !roles.contains("source_contact_id") && ctx.caller.contact_id > 0) {
    roles["source_contact_id"] = ctx.caller.contact_id;
  }
  for (const auto& [field, value] : roles.items()) {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, ContactIds(ctx, field, value));
    KITH_RETURN_IF_ERROR(SetActivityContacts(ctx, id, *RoleOfField(field), contacts));
  }
  return answer;
}

// The ids of `rows`, an APIv3 answer's values keyed by id.
std::vector<int64_t> RowIds(const Value& rows) {
  std::vector<int64_t> ids;
  for (const auto& [key, row] : rows.items()) {
    if (auto id = ParseInt64(key)) ids.push_back(*id);
  }
  return ids;
}

// The rows of `entity` with these ids, `select` (naming "id") of each, by id.
StatusOr<std::map<int64_t, Value>> SelectByIds(ActionContext& ctx, const char* entity,
                                               std::vector<std::string> select,
                                               const std::vector<int64_t>& ids) {
  std::map<int64_t, Value> by_id;
  if (ids.empty()) return by_id;
  Query q;
  q.entity = entity;
  q.select = std::move(select);
  q.where = Condition::Leaf("id", Op::kIn, Value(ids));
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  for (Value& r : rows) {
    int64_t id = r["id"].get<int64_t>();
    by_id[id] = std::move(r);
  }
  return by_id;
}

// Each row's source contact, its display and sort name.
Status AddSources(ActionContext& ctx, Value& rows) {
  std::vector<int64_t> ids = RowIds(rows);
  KITH_ASSIGN_OR_RETURN(auto sources, ActivityContactsOf(ctx.txn, ids, ActivityRole::kSource));
  if (sources.empty()) return Status();
  Value contact_ids = Value::array();
  for (const auto& [activity, contacts] : sources) contact_ids.push_back(contacts.front());
  Query q;
  q.entity = "Contact";
  q.select = {"id", "display_name", "sort_name"};
  q.where = Condition::Leaf("id", Op::kIn, std::move(contact_ids));
  KITH_ASSIGN_OR_RETURN(auto contacts, ctx.txn.Select(q));
  std::map<int64_t, const Value*> by_id;
  for (const Value& c : contacts) by_id[c["id"].get<int64_t>()] = &c;
  for (auto& [key, row] : rows.items()) {
    auto activity = ParseInt64(key);
    auto source = activity ? sources.find(*activity) : sources.end();
    if (source == sources.end()) continue;
    int64_t contact = source->second.front();
    row["source_contact_id"] = std::to_string(contact);
    auto c = by_id.find(contact);
    if (c == by_id.end()) continue;
    row["source_contact_name"] = api::ValueAsText((*c->second)["display_name"]);
    row["source_contact_sort_name"] = api::ValueAsText((*c->second)["sort_name"]);
  }
  return Status();
}

// Each row's status label as `status` and its activity type name as
// `activity_name`, where the row shows status_id, activity_type_id: CiviCRM's
// get of a contact's activities (contact_id) answers them after the source.
Status AddTypeNames(ActionContext& ctx, Value& rows) {
  KITH_ASSIGN_OR_RETURN(auto by_id, SelectByIds(ctx, "Activity",
                                                {"id", "activity_type_id:name", "status_id:label"},
                                                RowIds(rows)));
  for (auto& [key, row] : rows.items()) {
    auto id = ParseInt64(key);
    auto t = id ? by_id.find(*id) : by_id.end();
    if (t == by_id.end()) continue;
    // (the status label only where the row shows the status)
    const Value& status = t->second["status_id:label"];
    if (!api::ValueAsText(row.value("status_id", Value())).empty() && !status.is_null()) {
      row["status"] = api::ValueAsText(status);
    }
    const Value& type = t->second["activity_type_id:name"];
    if (!api::ValueAsText(row.value("activity_type_id", Value())).empty() && !type.is_null()) {
      row["activity_name"] = api::ValueAsText(type);
    }
  }
  return Status();
}

// The activities where one of the contacts `value` names has `role` (any
// role for std::nullopt); `value` as a plain id or list, or {"IN": list}.
StatusOr<std::set<int64_t>> ActivitiesWithContacts(ActionContext& ctx, const std::string& key,
                                                    const Value& value, std::optional<ActivityRole> role) {
  Value given = value;
  if (value.is_object() && value.size() == 1) {
    const std::string op = AsciiLower(value.begin().key());
    if (op == "in" || op == "=") given = value.begin().value();
  }
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, ContactIds(ctx, key, given));
  Query q;
  q.entity = "ActivityContact";
  q.select = {"activity_id"};
  q.where = ActivitiesOf(contacts, role).subquery->where;
  q.distinct = true;
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  std::set<int64_t> ids;
  for (const Value& r : rows) ids.insert(r["activity_id"].get<int64_t>());
  return ids;
}

// target_contact_id and assignee_contact_id of each row, when `return` asks
// for them (or their names): the ids as a list, the names keyed by id
// ([] when the activity has none), as CiviCRM's v3 get fills them.
Status AddRoleContacts(ActionContext& ctx, Value& rows, ActivityRole role, const std::string& prefix) {
  KITH_ASSIGN_OR_RETURN(auto contacts_of, ActivityContactsOf(ctx.txn, RowIds(rows), role));
  std::vector<int64_t> all;
  for (const auto& [activity, contacts] : contacts_of) {
    all.insert(all.end(), contacts.begin(), contacts.end());
  }
  KITH_ASSIGN_OR_RETURN(auto names, SelectByIds(ctx, "Contact", {"id", "display_name", "sort_name"}, all));
  for (auto& [key, row] : rows.items()) {
    auto activity = ParseInt64(key);
    auto it = activity ? contacts_of.find(*activity) : contacts_of.end();
    if (it == contacts_of.end()) {
      row[prefix + "_contact_id"] = Value::array();
      continue;
    }
    Value list = Value::array(), display = Value::object(), sort = Value::object();
    for (int64_t c : it->second) {
      std::string id = std::to_string(c);
      list.push_back(id);
      auto n = names.find(c);
      display[id] = n == names.end() ? "" : api::ValueAsText(n->second["display_name"]);
      sort[id] = n == names.end() ? "" : api::ValueAsText(n->second["sort_name"]);
    }
    row[prefix + "_contact_id"] = std::move(list);
    row[prefix + "_contact_name"] = std::move(display);
    row[prefix + "_contact_sort_name"] = std::move(sort);
  }
  return Status();
}

StatusOr<V3Rows> ActivityRows(ActionContext& ctx, const V3Hooks& hooks, const Value& params,
                              const V3Options& options) {
  Value p = params;
  bool of_contact = p.contains("contact_id");
  // A contact in any role (contact_id) or in one (source/target/assignee):
  // the activities of each filter, all of which must hold.
  std::optional<std::set<int64_t>> matching;
  std::vector<std::pair<std::string, std::optional<ActivityRole>>> filters = {{"contact_id", std::nullopt}};
  for (const std::string& field : ActivityRoleFields()) filters.emplace_back(field, RoleOfField(field));
  for (const auto& [key, role] : filters) {
    if (!p.contains(key)) continue;
    Value value = p[key];
    p.erase(key);
    if (api::ValueAsText(value).empty() && !value.is_object() && !value.is_array()) continue;
    KITH_ASSIGN_OR_RETURN(std::set<int64_t> ids, ActivitiesWithContacts(ctx, key, value, role));
    if (matching) {
      std::set<int64_t> both;
      for (int64_t id : ids) {
        if (matching->count(id)) both.insert(id);
      }
      ids = std::move(both);
    }
    matching = std::move(ids);
  }
  if (matching) {
    if (p.contains("id") && !p["id"].is_object() && !p["id"].is_array()) {
      auto asked = ParseInt64(api::ValueAsText(p["id"]));
      if (!asked || !matching->count(*asked)) return V3Rows{};
    } else {
      if (matching->empty()) return V3Rows{};
      Value ids = Value::array();
      for (int64_t id : *matching) ids.push_back(id);
      p["id"] = Value{{"IN", std::move(ids)}};
    }
  }
  KITH_ASSIGN_OR_RETURN(V3Rows out, GenericRows(ctx, "Activity", hooks, p, options));
  KITH_RETURN_IF_ERROR(AddSources(ctx, out.rows));
  std::vector<std::string> asked = ReturnFields(params);
  auto wants = [&](const std::string& prefix) {
    return std::find(asked.begin(), asked.end(), prefix + "_contact_id") != asked.end() ||
           std::find(asked.begin(), asked.end(), prefix + "_contact_name") != asked.end();
  };
  // (in the order CiviCRM's BAO writes the contacts: assignees, then targets)
  if (wants("assignee")) {
    KITH_RETURN_IF_ERROR(AddRoleContacts(ctx, out.rows, ActivityRole::kAssignee, "assignee"));
  }
  if (wants("target")) KITH_RETURN_IF_ERROR(AddRoleContacts(ctx, out.rows, ActivityRole::kTarget, "target"));
  if (of_contact) KITH_RETURN_IF_ERROR(AddTypeNames(ctx, out.rows));
  return out;
}

// entity_id and tag_id as one id or a list; entity_table defaults to contacts.
// A delete names records, not EntityTag ids, as CiviCRM's does: without a
// record it is refused, without a tag it removes every tag of the first
// record.
StatusOr<Value> EntityTagChange(ActionContext& ctx, const V3Hooks& hooks, bool removing) {
  const Value& p = ctx.params;
  auto given = [&](const char* key) { return p.contains(key) && !api::ValueAsText(p[key]).empty(); };
  if (!removing && p.contains("id") && !p.contains("tag_id")) return GenericCreate(ctx, "EntityTag", hooks);
  bool records_given = given("entity_id") || given("contact_id");
  if (removing && !records_given) {
    // (returned by CiviCRM's function as a plain error, with no error_code)
    return Value{{"is_error", 1}, {"error_message", "contact_id is a required field"}};
  }
  std::vector<std::string> missing;
  if (!records_given) missing.push_back("entity_id");
  if (!given("tag_id") && !removing) missing.push_back("tag_id");
  if (!missing.empty()) return MandatoryMissing(missing);
  std::string table = given("entity_table") ? api::ValueAsText(p["entity_table"]) : kContactTable;
  const Value& records = given("entity_id") ? p["entity_id"] : p["contact_id"];
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> entity_ids, ContactIds(ctx, "entity_id", records));
  std::vector<int64_t> tag_ids;
  if (given("tag_id")) {
    KITH_ASSIGN_OR_RETURN(tag_ids, ContactIds(ctx, "tag_id", p["tag_id"]));
  } else if (!entity_ids.empty()) {
    KITH_ASSIGN_OR_RETURN(tag_ids, TagIds(ctx.txn, table, entity_ids.front()));
  }
  KITH_ASSIGN_OR_RETURN(TagCounts counts, ChangeEntityTags(ctx, table, entity_ids, tag_ids, removing));
  Value out{{"is_error", counts.changed == 0 ? 1 : 0},
            {removing ? "not_removed" : "not_added", counts.unchanged},
            {removing ? "removed" : "added", counts.changed},
            {"total_count", counts.total}};
  if (counts.changed == 0) {
    out["error_message"] = removing ? "Unable to remove tags" : "Unable to add tags";
  }
  return out;
}

}  // namespace

void AddActivityHooks(V3HooksTable& table) {
  V3Hooks& activity = table["Activity"];
  // CiviCRM's BAO sets these defaults, so its create answer shows them.
  activity.create_echo = {"status_id", "priority_id"};
  activity.create_digits = {"activity_date_time"};
  activity.create_hidden = {"created_date", "modified_date"};
  activity.update_hidden = {"modified_date"};
  activity.delete_missing = "Could not delete Activity: ";
  V3Hooks generic = activity;
  activity.create = [generic](ActionContext& ctx) { return ActivityCreate(ctx, generic); };
  activity.rows = [generic](ActionContext& ctx, const Value& p, const V3Options& o) {
    return ActivityRows(ctx, generic, p, o);
  };
  V3Hooks& note = table["Note"];
  note.create_echo = {"contact_id", "modified_date", "privacy"};
  note.create_hidden = {"note_date", "created_date"};
  note.create_digits = {"modified_date"};
  note.update_hidden = {"contact_id", "modified_date", "privacy"};
  // (api/v3/Note.php's create spec)
  note.create_required = {"note"};
  note.delete_missing = "Could not delete Note id ";  // (BAO deleteRecord)
  note.create_defaults = Value{{"entity_table", "civicrm_contact"}};
  note.get_defaults = Value{{"entity_table", "civicrm_contact"}};
  V3Hooks& tag = table["Tag"];
  tag.create_echo = {"label", "used_for", "created_id"};
  tag.create_hidden = {"created_date"};
  tag.update_whole_row = true;
  V3Hooks& entity_tag = table["EntityTag"];
  entity_tag.create = [](ActionContext& ctx) { return EntityTagChange(ctx, V3Hooks{}, false); };
  entity_tag.remove = [](ActionContext& ctx) { return EntityTagChange(ctx, V3Hooks{}, true); };
  entity_tag.get_defaults = Value{{"entity_table", kContactTable}};
}

}  // namespace kith::entities::v3
