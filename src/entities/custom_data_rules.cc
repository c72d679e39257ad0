#include "entities/custom_data_rules.h"

#include "api/field_values.h"
#include "base/clock.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "schema/custom_schema.h"

namespace kith::entities {
namespace {

using api::ActionContext;
using api::ValueAsText;
using schema::MungeName;
using store::Condition;
using store::Op;
using store::Query;

constexpr size_t kNameLength = 64;
constexpr size_t kTableNameLength = 32;  // CiviCRM munges table and column names to 32

int64_t IdOf(const Value& record) {
  return record.contains("id") && record["id"].is_number_integer() ? record["id"].get<int64_t>() : 0;
}

Status Mandatory(const char* field) {
  return InvalidArgument(std::string("Mandatory key(s) missing from params array: ") + field,
                         {{"error_code", "mandatory_missing"}, {"fields", Value::array({field})}});
}

Status NotValid(const std::string& field, const std::string& message) {
  return InvalidArgument(message, {{"error_code", 2001}, {"error_field", field}});
}

// True when a row of `entity` other than `except_id` has `name` (within
// `scope_column` = `scope_id` when given).
StatusOr<bool> NameTaken(store::Transaction& txn, const char* entity, const std::string& name,
                         int64_t except_id, const char* scope_column = nullptr,
                         int64_t scope_id = 0) {
  Query q;
  q.entity = entity;
  q.select = {"id"};
  q.where = Condition::And({Condition::Leaf("name", Op::kEq, name),
                            Condition::Leaf("id", Op::kNe, except_id)});
  if (scope_column != nullptr) q.where.children.push_back(Condition::Leaf(scope_column, Op::kEq, scope_id));
  KITH_ASSIGN_OR_RETURN(int64_t n, txn.Count(q));
  return n > 0;
}

// The name to store: the one given (munged; taken -> error) or one made
// from `title` (munged, then _2, _3, ... until free).
StatusOr<std::string> ChooseName(store::Transaction& txn, const char* entity, const Value& given,
                                 const std::string& title, int64_t id, const char* scope_column,
                                 int64_t scope_id) {
  std::string explicit_name = MungeName(ValueAsText(given), kNameLength);
  std::string base = explicit_name.empty() ? MungeName(title, kNameLength) : explicit_name;
  if (base.empty() || base == "_") base = entity == std::string("CustomGroup") ? "custom_group" : "custom_field";
  KITH_ASSIGN_OR_RETURN(bool taken, NameTaken(txn, entity, base, id, scope_column, scope_id));
  if (!taken) return base;
  if (!explicit_name.empty()) {
    return AlreadyExists(std::string(entity == std::string("CustomGroup") ? "A custom group"
                                                                          : "A custom field of this group") +
                             " named \"" + base + "\" already exists",
                         {{"error_code", "already-exists"}, {"error_field", "name"}});
  }
  for (int n = 2;; ++n) {
    std::string suffix = "_" + std::to_string(n);
    std::string candidate = base.substr(0, kNameLength - suffix.size()) + suffix;
    KITH_ASSIGN_OR_RETURN(taken, NameTaken(txn, entity, candidate, id, scope_column, scope_id));
    if (!taken) return candidate;
  }
}

// The weight after the last one (of the group's fields for a field).
StatusOr<int64_t> NextWeight(store::Transaction& txn, const char* entity, const char* scope_column,
                             int64_t scope_id) {
  Query q;
  q.entity = entity;
  q.select = {"weight"};
  if (scope_column != nullptr) q.where = Condition::Leaf(scope_column, Op::kEq, scope_id);
  q.order_by = {{"weight", true}};
  q.limit = 1;
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty() || !rows[0]["weight"].is_number_integer()) return 1;
  return rows[0]["weight"].get<int64_t>() + 1;
}

Status Unchangeable(const Value& changes, const Value& before, const char* field,
                    const char* what) {
  if (!changes.contains(field)) return Status();
  if (ValueAsText(changes[field]) == ValueAsText(before)) return Status();
  return NotValid(field, std::string(what) + " cannot be changed once created");
}

Status CustomGroupBeforeWrite(ActionContext& ctx, const Value& record, Value& changes,
                              bool creating) {
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  int64_t id = IdOf(record);
  std::string title = ValueAsText(record["title"]);
  if (std::string(TrimAscii(title)).empty()) return Mandatory("title");
  if (!creating) {
    const schema::CustomGroupInfo* before = catalog->FindCustomGroup(id);
    if (before != nullptr) {
      KITH_RETURN_IF_ERROR(Unchangeable(changes, before->name, "name", "The name of a custom group"));
      KITH_RETURN_IF_ERROR(Unchangeable(changes, before->extends, "extends", "What a custom group extends"));
      KITH_RETURN_IF_ERROR(Unchangeable(changes, before->is_multiple ? 1 : 0, "is_multiple",
                                        "Whether a custom group holds multiple records"));
    }
    return Status();
  }
  std::string extends = ValueAsText(record["extends"]);
  if (schema::ExtendsBaseEntity(*catalog, extends).empty()) {
    return NotValid("extends", "extends is not valid: " + extends +
                                   " (custom groups extend Contact, Individual, Household or "
                                   "Organization)");
  }
  KITH_ASSIGN_OR_RETURN(changes["name"], ChooseName(ctx.txn, "CustomGroup", record["name"], title,
                                                    id, nullptr, 0));
  if (ValueAsText(record["style"]).empty()) changes["style"] = "Inline";
  if (!changes.contains("weight")) {
    KITH_ASSIGN_OR_RETURN(changes["weight"], NextWeight(ctx.txn, "CustomGroup", nullptr, 0));
  }
  if (!changes.contains("created_id") && ctx.caller.contact_id > 0) {
    changes["created_id"] = ctx.caller.contact_id;
  }
  changes["created_date"] = FormatDateTime(Clock::Real().NowSeconds());
  return Status();
}

Status CustomGroupAfterWrite(ActionContext& ctx, int64_t id, const Value& written, bool creating) {
  if (creating) {
    std::string name = ValueAsText(written["name"]);
    std::string table =
        "civicrm_value_" + AsciiLower(MungeName(name, kTableNameLength)) + "_" + std::to_string(id);
    KITH_RETURN_IF_ERROR(ctx.txn.Update("CustomGroup", id, {{"table_name", table}}));
    KITH_RETURN_IF_ERROR(ctx.txn.ReloadCatalog());
    return ctx.txn.CreateTable(schema::CustomGroupEntityName(name));
  }
  return ctx.txn.ReloadCatalog();
}

bool SerializableHtmlType(const std::string& html_type) {
  return schema::HtmlTypeIsMultiple(html_type) || html_type == "Select" ||
         html_type == "Autocomplete-Select" || html_type == "Select Country" ||
         html_type == "Select State/Province";
}

Status CustomFieldBeforeWrite(ActionContext& ctx, const Value& record, Value& changes,
                              bool creating) {
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  int64_t id = IdOf(record);
  if (std::string(TrimAscii(ValueAsText(record["label"]))).empty()) return Mandatory("label");
  if (!record["custom_group_id"].is_number_integer()) return Mandatory("custom_group_id");
  int64_t group_id = record["custom_group_id"].get<int64_t>();
  if (catalog->FindCustomGroup(group_id) == nullptr) {
    return NotValid("custom_group_id", "custom_group_id is not valid: " + std::to_string(group_id));
  }
  std::string data_type = ValueAsText(record["data_type"]);
  if (data_type.empty()) data_type = "String";
  if (!schema::IsCustomDataType(data_type)) {
    return NotValid("data_type", "data_type is not valid: " + data_type);
  }
  std::string html_type = ValueAsText(record["html_type"]);
  if (html_type.empty()) {
    html_type = schema::DefaultHtmlType(data_type);
    changes["html_type"] = html_type;
  }
  if (!schema::HtmlTypeFits(data_type, html_type)) {
    return NotValid("html_type", "html_type " + html_type + " is not valid for data_type " + data_type);
  }
  int64_t serialize = record["serialize"].is_number_integer() ? record["serialize"].get<int64_t>() : 0;
  if (schema::HtmlTypeIsMultiple(html_type)) serialize = 1;
  if (creating) {
    // CiviCRM's BAO gives a text area its default size.
    if (html_type == "TextArea" && ValueAsText(record["attributes"]).empty()) {
      changes["attributes"] = "rows=4, cols=60";
    }
  }
  if (serialize != 0 && !SerializableHtmlType(html_type)) {
    return NotValid("serialize", "html_type " + html_type + " cannot hold several values");
  }
  if (creating) {
    changes["data_type"] = data_type;
    changes["serialize"] = serialize != 0 ? 1 : 0;
    KITH_ASSIGN_OR_RETURN(changes["name"],
                          ChooseName(ctx.txn, "CustomField", record["name"],
                                     ValueAsText(record["label"]), id, "custom_group_id", group_id));
    if (!changes.contains("weight")) {
      KITH_ASSIGN_OR_RETURN(changes["weight"],
                            NextWeight(ctx.txn, "CustomField", "custom_group_id", group_id));
    }
    return Status();
  }
  const schema::CustomFieldInfo* before = catalog->FindCustomField(id);
  if (before == nullptr) return Status();
  KITH_RETURN_IF_ERROR(Unchangeable(changes, before->group_id, "custom_group_id",
                                    "The group of a custom field"));
  KITH_RETURN_IF_ERROR(Unchangeable(changes, before->data_type, "data_type",
                                    "The data type of a custom field"));
  if ((serialize != 0) != before->serialized) {
    return NotValid("serialize", "Whether a custom field holds several values cannot be changed once created");
  }
  if (changes.contains("name")) {
    KITH_ASSIGN_OR_RETURN(changes["name"],
                          ChooseName(ctx.txn, "CustomField", changes["name"], before->label, id,
                                     "custom_group_id", group_id));
  }
  return Status();
}

Status CustomFieldAfterWrite(ActionContext& ctx, int64_t id, const Value& written, bool creating) {
  if (!creating) {
    KITH_RETURN_IF_ERROR(ctx.txn.ReloadCatalog());
    // is_searchable may have changed: its column gains or loses its index.
    std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
    const schema::CustomFieldInfo* field = catalog->FindCustomField(id);
    if (field == nullptr || !written.contains("is_searchable")) return Status();
    return ctx.txn.SyncIndexes(field->entity, field->column);
  }
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  const schema::CustomGroupInfo* group = catalog->FindCustomGroup(written["custom_group_id"].get<int64_t>());
  if (group == nullptr) return Internal("custom field without its group");
  std::string entity = group->entity;
  std::string column = AsciiLower(MungeName(ValueAsText(written["label"]), kTableNameLength)) + "_" +
                       std::to_string(id);
  KITH_RETURN_IF_ERROR(ctx.txn.Update("CustomField", id, {{"column_name", column}}));
  KITH_RETURN_IF_ERROR(ctx.txn.ReloadCatalog());
  return ctx.txn.AddColumn(entity, column);
}

}  // namespace

void RegisterCustomDataRules(api::RulesRegistry& rules) {
  rules.Set("CustomGroup", {CustomGroupBeforeWrite, CustomGroupAfterWrite});
  rules.Set("CustomField", {CustomFieldBeforeWrite, CustomFieldAfterWrite});
}

}  // namespace kith::entities
