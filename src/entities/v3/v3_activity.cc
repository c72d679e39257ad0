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

// Each row's source contact, its display and sort name.
Status AddSources(ActionContext& ctx, Value& rows) {
  std::vector<int64_t> ids;
  for (const auto& [key, row] : rows.items()) {
    if (auto id = ParseInt64(key)) ids.push_back(*id);
  }
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

// Each row's activity type name as `activity_name`: CiviCRM's get of a
// contact's activities (contact_id) answers it after the source contact.
Status AddTypeNames(ActionContext& ctx, Value& rows) {
  Value ids = Value::array();
  for (const auto& [key, row] : rows.items()) {
    if (auto id = ParseInt64(key)) ids.push_back(*id);
  }
  if (ids.empty()) return Status();
  Query q;
  q.entity = "Activity";
  q.select = {"id", "activity_type_id:name"};
  q.where = Condition::Leaf("id", Op::kIn, std::move(ids));
  KITH_ASSIGN_OR_RETURN(auto types, ctx.txn.Select(q));
  std::map<int64_t, Value> by_id;
  for (const Value& t : types) by_id[t["id"].get<int64_t>()] = t["activity_type_id:name"];
  for (auto& [key, row] : rows.items()) {
    auto id = ParseInt64(key);
    auto t = id ? by_id.find(*id) : by_id.end();
    if (t != by_id.end() && !t->second.is_null()) row["activity_name"] = api::ValueAsText(t->second);
  }
  return Status();
}

StatusOr<V3Rows> ActivityRows(ActionContext& ctx, const V3Hooks& hooks, const Value& params,
                              const V3Options& options) {
  Value p = params;
  bool of_contact = p.contains("contact_id");
  if (of_contact) {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts,
                          ContactIds(ctx, "contact_id", p["contact_id"]));
    p.erase("contact_id");
    Query q;
    q.entity = "ActivityContact";
    q.select = {"activity_id"};
    q.where = ActivitiesOf(contacts, std::nullopt).subquery->where;
    q.distinct = true;
    KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
    Value ids = Value::array();
    for (const Value& r : rows) ids.push_back(r["activity_id"]);
    if (ids.empty()) return V3Rows{};
    p["id"] = Value{{"IN", std::move(ids)}};
  }
  KITH_ASSIGN_OR_RETURN(V3Rows out, GenericRows(ctx, "Activity", hooks, p, options));
  KITH_RETURN_IF_ERROR(AddSources(ctx, out.rows));
  if (of_contact) KITH_RETURN_IF_ERROR(AddTypeNames(ctx, out.rows));
  return out;
}

// entity_id and tag_id as one id or a list; entity_table defaults to contacts.
StatusOr<Value> EntityTagChange(ActionContext& ctx, const V3Hooks& hooks, bool removing) {
  const Value& p = ctx.params;
  if (p.contains("id") && !p.contains("tag_id")) {
    return removing ? GenericDelete(ctx, "EntityTag", hooks) : GenericCreate(ctx, "EntityTag", hooks);
  }
  std::vector<std::string> missing;
  for (const char* key : {"entity_id", "tag_id"}) {
    if (!p.contains(key) || api::ValueAsText(p[key]).empty()) missing.push_back(key);
  }
  if (p.contains("contact_id") && !p.contains("entity_id")) missing.erase(missing.begin());
  if (!missing.empty()) return MandatoryMissing(missing);
  const Value& records = p.contains("entity_id") ? p["entity_id"] : p["contact_id"];
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> entity_ids, ContactIds(ctx, "entity_id", records));
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> tag_ids, ContactIds(ctx, "tag_id", p["tag_id"]));
  std::string table = p.contains("entity_table") && !api::ValueAsText(p["entity_table"]).empty()
                          ? api::ValueAsText(p["entity_table"])
                          : kContactTable;
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
  V3Hooks& tag = table["Tag"];
  tag.create_echo = {"label", "used_for", "created_id"};
  tag.create_hidden = {"created_date"};
  tag.update_whole_row = true;
  V3Hooks& entity_tag = table["EntityTag"];
  entity_tag.create = [](ActionContext& ctx) { return EntityTagChange(ctx, V3Hooks{}, false); };
  entity_tag.remove = [](ActionContext& ctx) { return EntityTagChange(ctx, V3Hooks{}, true); };
}

}  // namespace kith::entities::v3
