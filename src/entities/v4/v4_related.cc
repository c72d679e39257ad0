// What APIv4 does differently for groups, memberships, relationships and
// custom data: their deletes and creates go through the shared operations
// (group_ops.h, custom_data_ops.h) that keep nesting, history and tables
// right, and their answers show what CiviCRM's BAOs show.
#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "entities/custom_data_ops.h"
#include "entities/group_ops.h"
#include "entities/group_rules.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

using api::ActionContext;

namespace {

// "2021-02-03" -> "20210203", "2026-11-27 20:30:17" -> "20261127203017":
// the form CiviCRM's BAO hands dates to MySQL in, which its answers echo.
std::string MysqlDate(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits;
}

}  // namespace

void AddGroupHooks(V4HooksTable& table) {
  V4Hooks group;
  group.remove = [](ActionContext& ctx, int64_t id, const Value&) { return DeleteGroup(ctx, id); };
  group.after_create = [](ActionContext& ctx, int64_t id, const Value& values) -> Status {
    const Value& name = values.value("name", Value());
    if (!name.is_null() && !api::ValueAsText(name).empty()) return Status();
    return NameGroupAfterId(ctx, id);
  };
  table["Group"] = std::move(group);

  V4Hooks membership;
  membership.prepare = [](ActionContext&, Value& values, bool) -> Status {
    if (values.contains("status") && values["status"].is_string() &&
        !IsGroupContactStatus(values["status"].get<std::string>())) {
      return InvalidArgument("status is not valid: " + values["status"].get<std::string>() +
                                 " (Added, Removed or Pending)",
                             {{"error_code", 2001}, {"error_field", "status"}});
    }
    return Status();
  };
  membership.batch_fields = {"group_id", "contact_id"};
  membership.update_tail = Value{{"method", nullptr}, {"tracking", nullptr}};
  membership.last_create_tail = membership.update_tail;
  // Every status change is a line of the contact's subscription history.
  membership.after_write = [](ActionContext& ctx, int64_t id, const Value& written, bool) -> Status {
    if (!written.contains("status") || written["status"].is_null()) return Status();
    const schema::Entity* e = ctx.catalog.Find("GroupContact");
    KITH_ASSIGN_OR_RETURN(Value row, api::LoadRecord(ctx.txn, *e, id));
    return RecordSubscription(ctx, row["contact_id"].get<int64_t>(), row["group_id"].get<int64_t>(),
                              api::ValueAsText(written["status"]), "API", Value());
  };
  table["GroupContact"] = std::move(membership);
}

void AddRelationshipHooks(V4HooksTable& table) {
  V4Hooks rel;
  rel.create_echo = {"start_date", "end_date", "is_active", "description", "is_permission_a_b",
                     "is_permission_b_a"};
  rel.echo_nulls = {"start_date", "end_date", "description"};
  // CiviCRM's Relationship BAO loads the stored record into its answer for
  // an update, but not for one that only disables it; either way it fills
  // in the two contacts and the type.
  rel.whole_row_update = [](const Value& values) {
    const Value& active = values.value("is_active", Value(true));
    return !(active == false || active == 0 || active == "0" || active == "");
  };
  rel.batch_fields = {"contact_id_a", "contact_id_b", "relationship_type_id"};
  rel.echo_format = [](Value& row) {
    for (const char* col : {"start_date", "end_date"}) {
      if (!row.contains(col)) continue;
      row[col] = row[col].is_string() ? Value(MysqlDate(row[col].get<std::string>())) : Value("NULL");
    }
    for (const char* col : {"created_date", "modified_date"}) {
      if (row.contains(col) && row[col].is_string()) row[col] = MysqlDate(row[col].get<std::string>());
    }
    if (row.contains("description") && row["description"].is_null()) row["description"] = "";
  };
  table["Relationship"] = std::move(rel);
}

void AddCustomDataHooks(V4HooksTable& table) {
  V4Hooks group;
  group.create_record = [](ActionContext& ctx, const Value& values) {
    return CreateCustomGroup(ctx, values, /*ignore_unknown=*/false);
  };
  group.remove = [](ActionContext& ctx, int64_t id, const Value&) { return DeleteCustomGroup(ctx, id); };
  group.create_echo_stored = true;
  table["CustomGroup"] = std::move(group);

  V4Hooks field;
  field.create_record = [](ActionContext& ctx, const Value& values) {
    return CreateCustomField(ctx, values, /*ignore_unknown=*/false);
  };
  field.remove = [](ActionContext& ctx, int64_t id, const Value&) { return DeleteCustomField(ctx, id); };
  field.create_echo_stored = true;
  field.late_columns = {"serialize"};
  // CiviCRM's CustomField BAO leaves these properties on its answer.
  field.create_tail = [](const Value& values) {
    Value tail{{"option_type", nullptr}};
    if (values.contains("option_values")) {
      for (const char* k : {"option_icon", "option_description", "option_color", "option_name",
                            "option_weight", "option_status", "option_value", "option_label"}) {
        tail[k] = nullptr;
      }
    }
    return tail;
  };
  table["CustomField"] = std::move(field);
}

}  // namespace kith::entities::v4
