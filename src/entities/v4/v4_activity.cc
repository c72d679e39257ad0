// APIv4 Activity: source_contact_id (one contact), target_contact_id and
// assignee_contact_id (lists) are read, filtered on and written as if they
// were columns; they are the activity's ActivityContact rows
// (entities/activity_contacts.h). An activity created without a source has
// the caller as its source, as CiviCRM's BAO does. Tag and Note: what their
// write answers show.
#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/activity_contacts.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

using api::ActionContext;
using store::Condition;

namespace {

V4Hooks::RelatedColumn RoleColumn(const std::string& field, ActivityRole role) {
  V4Hooks::RelatedColumn c;
  c.read = [role](ActionContext& ctx, const std::vector<int64_t>& ids)
      -> StatusOr<std::map<int64_t, Value>> {
    KITH_ASSIGN_OR_RETURN(auto contacts, ActivityContactsOf(ctx.txn, ids, role));
    std::map<int64_t, Value> out;
    for (auto& [id, list] : contacts) {
      if (role == ActivityRole::kSource) {
        out[id] = list.front();
      } else {
        out[id] = Value(list);
      }
    }
    return out;
  };
  c.write = [field, role](ActionContext& ctx, int64_t id, const Value& value) -> Status {
    KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, ContactIds(ctx, field, value));
    return SetActivityContacts(ctx, id, role, contacts);
  };
  return c;
}

// where [role field, op, contact(s)]: the activities those contacts have in
// that role (=, IN, CONTAINS and their negations).
StatusOr<std::optional<Condition>> RoleFilter(ActionContext& ctx, const std::string& field,
                                              const std::string& op, const Value& value) {
  std::optional<ActivityRole> role = RoleOfField(field);
  if (!role) return std::optional<Condition>();
  std::string lower = AsciiLower(op);
  bool negate = lower == "!=" || lower == "<>" || lower == "not in" || lower == "not contains";
  if (!negate && lower != "=" && lower != "in" && lower != "contains" && lower != "contains one of") {
    return InvalidArgument(field + " takes =, IN, CONTAINS or their negations, not " + op,
                           {{"error_field", field}});
  }
  KITH_ASSIGN_OR_RETURN(std::vector<int64_t> contacts, ContactIds(ctx, field, value));
  return std::optional<Condition>(ActivitiesOf(contacts, role, negate));
}

}  // namespace

void AddActivityHooks(V4HooksTable& table) {
  V4Hooks& h = table["Activity"];
  h.related_columns["source_contact_id"] = RoleColumn("source_contact_id", ActivityRole::kSource);
  h.related_columns["target_contact_id"] = RoleColumn("target_contact_id", ActivityRole::kTarget);
  h.related_columns["assignee_contact_id"] =
      RoleColumn("assignee_contact_id", ActivityRole::kAssignee);
  h.virtual_filter = RoleFilter;
  // What CiviCRM's create answer shows: the defaults its BAO sets, the date
  // as handed to MySQL, the dates its database fills as null.
  h.create_echo = {"status_id", "priority_id"};
  h.create_digits = {"activity_date_time"};
  h.database_columns = {"created_date", "modified_date"};
  // An activity created without a date is dated by the database (now).
  h.database_filled = {"activity_date_time"};
  h.after_create = [](ActionContext& ctx, int64_t id, const Value& values) -> Status {
    if (values.contains("source_contact_id") || ctx.caller.contact_id <= 0) return Status();
    return SetActivityContacts(ctx, id, ActivityRole::kSource, {ctx.caller.contact_id});
  };
}

void AddTagAndNoteHooks(V4HooksTable& table) {
  V4Hooks& tag = table["Tag"];
  tag.create_echo = {"used_for"};
  tag.create_digits = {"created_date"};
  tag.update_whole_row = true;
  // The API fills in entity_table (civicrm_contact) where the call leaves
  // it out, so CiviCRM's answer shows it.
  table["EntityTag"].create_echo = {"entity_table"};
  V4Hooks& note = table["Note"];
  note.create_echo = {"entity_table", "privacy"};
  note.create_digits = {"note_date", "created_date", "modified_date"};
  note.update_hidden = {"modified_date"};
  // CiviCRM's BAO keeps the privacy level a number until it is read back.
  note.echo_format = [](Value& row) {
    if (!row.contains("privacy") || !row["privacy"].is_string()) return;
    if (auto n = ParseInt64(row["privacy"].get<std::string>())) row["privacy"] = *n;
  };
}

}  // namespace kith::entities::v4
