#include "entities/custom_data_ops.h"

#include <cmath>
#include <cstdlib>

#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "schema/custom_schema.h"

namespace kith::entities {
namespace {

using api::ActionContext;
using api::ValueAsText;
using store::Condition;
using store::Op;
using store::Query;

struct OptionSpec {
  std::string value, label, name;
  int64_t weight = 0;
  bool is_active = true;
};

// Lists sent as form brackets arrive as objects keyed 0, 1, ...
std::vector<Value> ListItems(const Value& v) {
  std::vector<Value> out;
  if (v.is_array()) {
    for (const Value& x : v) out.push_back(x);
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.items()) out.push_back(x);
  } else if (!v.is_null() && !ValueAsText(v).empty()) {
    out.push_back(v);
  }
  return out;
}

StatusOr<std::vector<OptionSpec>> ParseOptions(const Value& given) {
  std::vector<OptionSpec> options;
  if (given.is_null()) return options;
  if (!given.is_object() && !given.is_array()) {
    return InvalidArgument("option_values must be a list of options or {value: label}",
                           {{"error_code", 2001}, {"error_field", "option_values"}});
  }
  int64_t weight = 0;
  for (const auto& [k, v] : given.items()) {
    OptionSpec o;
    o.weight = ++weight;
    if (v.is_object()) {  // 3.2: {label, value, weight, is_active, name}
      o.value = ValueAsText(v.value("value", Value()));
      o.label = ValueAsText(v.value("label", Value()));
      o.name = ValueAsText(v.value("name", Value()));
      if (auto w = ParseInt64(ValueAsText(v.value("weight", Value())))) o.weight = *w;
      std::string active = ValueAsText(v.value("is_active", Value("1")));
      o.is_active = active != "0" && active != "false";
    } else {  // APIv3: {value: label}
      o.value = k;
      o.label = ValueAsText(v);
    }
    if (o.label.empty()) o.label = o.value;
    if (o.name.empty()) o.name = o.label;
    if (o.value.empty()) {
      return InvalidArgument("option_values: an option has no value",
                             {{"error_code", 2001}, {"error_field", "option_values"}});
    }
    for (const OptionSpec& seen : options) {
      if (seen.value == o.value) {
        return InvalidArgument("option_values: the value " + o.value + " is given twice",
                               {{"error_code", 2001}, {"error_field", "option_values"}});
      }
    }
    options.push_back(std::move(o));
  }
  return options;
}

// Option values are stored as text, but must read as the field's data type.
Status CheckOptionType(const std::string& data_type, const OptionSpec& o) {
  bool ok = true;
  if (data_type == "Int") {
    ok = ParseInt64(o.value).has_value();
  } else if (data_type == "Float" || data_type == "Money") {
    char* end = nullptr;
    double d = std::strtod(o.value.c_str(), &end);
    ok = end != nullptr && *end == '\0' && std::isfinite(d);
  }
  if (ok) return Status();
  return InvalidArgument("option_values: " + o.value + " is not a valid " + data_type,
                         {{"error_code", 2001}, {"error_field", "option_values"}});
}

StatusOr<int64_t> CreateOptionList(ActionContext& ctx, int64_t field_id,
                                   const std::vector<OptionSpec>& options) {
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  const schema::CustomFieldInfo* field = catalog->FindCustomField(field_id);
  if (field == nullptr) return Internal("custom field missing after create");
  for (const OptionSpec& o : options) KITH_RETURN_IF_ERROR(CheckOptionType(field->data_type, o));
  KITH_ASSIGN_OR_RETURN(int64_t group_id,
                        ctx.txn.Insert("OptionGroup", {{"name", field->column},
                                                       {"title", field->label},
                                                       {"data_type", field->data_type},
                                                       {"is_reserved", 0},
                                                       {"is_active", 1}}));
  for (const OptionSpec& o : options) {
    KITH_RETURN_IF_ERROR(ctx.txn
                             .Insert("OptionValue", {{"option_group_id", group_id},
                                                     {"label", o.label},
                                                     {"value", o.value},
                                                     {"name", o.name},
                                                     {"weight", o.weight},
                                                     {"is_active", o.is_active ? 1 : 0}})
                             .status());
  }
  return group_id;
}

// CiviCRM's ["Individual", "Student"] form of extends.
void SplitExtends(Value& input) {
  if (!input.contains("extends")) return;
  std::vector<Value> items = ListItems(input["extends"]);
  if (input["extends"].is_string()) return;
  input["extends"] = items.empty() ? Value("") : Value(ValueAsText(items[0]));
  if (items.size() > 1 && !input.contains("extends_entity_column_value")) {
    Value sub = Value::array();
    for (size_t i = 1; i < items.size(); ++i) {
      for (const Value& s : ListItems(items[i])) sub.push_back(ValueAsText(s));
    }
    input["extends_entity_column_value"] = sub;
  }
}

// Whether another custom field uses option group `option_group_id`.
StatusOr<bool> OptionGroupShared(store::Transaction& txn, int64_t option_group_id,
                                 int64_t except_field) {
  Query q;
  q.entity = "CustomField";
  q.select = {"id"};
  q.where = Condition::And({Condition::Leaf("option_group_id", Op::kEq, option_group_id),
                            Condition::Leaf("id", Op::kNe, except_field)});
  KITH_ASSIGN_OR_RETURN(int64_t n, txn.Count(q));
  return n > 0;
}

// Deletes field `id`'s row and its own option list (the column is the
// caller's business).
Status DeleteFieldRow(store::Transaction& txn, int64_t id) {
  Query q;
  q.entity = "CustomField";
  q.select = {"option_group_id"};
  q.where = Condition::Leaf("id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  KITH_RETURN_IF_ERROR(txn.Delete("CustomField", id));
  if (rows.empty() || !rows[0]["option_group_id"].is_number_integer()) return Status();
  int64_t option_group = rows[0]["option_group_id"].get<int64_t>();
  KITH_ASSIGN_OR_RETURN(bool shared, OptionGroupShared(txn, option_group, id));
  if (shared) return Status();
  // Its option values go with it (their link cascades).
  return txn.Delete("OptionGroup", option_group);
}

}  // namespace

StatusOr<int64_t> CreateCustomGroup(ActionContext& ctx, const Value& input, bool ignore_unknown) {
  Value cleaned = input;
  SplitExtends(cleaned);
  const schema::Entity* entity = ctx.catalog.Find("CustomGroup");
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*entity, cleaned, ignore_unknown));
  return api::CreateRecord(ctx, "CustomGroup", std::move(values));
}

StatusOr<int64_t> CreateCustomField(ActionContext& ctx, const Value& input, bool ignore_unknown) {
  Value cleaned = input;
  Value option_values = cleaned.value("option_values", Value());
  cleaned.erase("option_values");
  KITH_ASSIGN_OR_RETURN(std::vector<OptionSpec> options, ParseOptions(option_values));
  const schema::Entity* entity = ctx.catalog.Find("CustomField");
  KITH_ASSIGN_OR_RETURN(Value values, api::CoerceRecord(*entity, cleaned, ignore_unknown));
  if (!options.empty() && values.contains("option_group_id") && !values["option_group_id"].is_null()) {
    return InvalidArgument("Give option_values or option_group_id, not both",
                           {{"error_code", 2001}, {"error_field", "option_values"}});
  }
  KITH_ASSIGN_OR_RETURN(int64_t id, api::CreateRecord(ctx, "CustomField", std::move(values)));
  if (options.empty()) return id;
  KITH_ASSIGN_OR_RETURN(int64_t option_group, CreateOptionList(ctx, id, options));
  KITH_RETURN_IF_ERROR(api::UpdateRecord(ctx, "CustomField", id, {{"option_group_id", option_group}}));
  return id;
}

Status DeleteCustomField(ActionContext& ctx, int64_t id) {
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  const schema::CustomFieldInfo* field = catalog->FindCustomField(id);
  if (field == nullptr) {
    return NotFound("Custom field " + std::to_string(id) + " not found", {{"error_code", "not-found"}});
  }
  KITH_RETURN_IF_ERROR(ctx.txn.DropColumn(field->entity, field->column));
  KITH_RETURN_IF_ERROR(DeleteFieldRow(ctx.txn, id));
  return ctx.txn.ReloadCatalog();
}

Status DeleteCustomGroup(ActionContext& ctx, int64_t id) {
  std::shared_ptr<const schema::Catalog> catalog = ctx.txn.catalog();
  const schema::CustomGroupInfo* group = catalog->FindCustomGroup(id);
  if (group == nullptr) {
    return NotFound("Custom group " + std::to_string(id) + " not found", {{"error_code", "not-found"}});
  }
  KITH_RETURN_IF_ERROR(ctx.txn.DropTable(group->entity));
  for (int64_t field_id : group->field_ids) KITH_RETURN_IF_ERROR(DeleteFieldRow(ctx.txn, field_id));
  KITH_RETURN_IF_ERROR(ctx.txn.Delete("CustomGroup", id));
  return ctx.txn.ReloadCatalog();
}

}  // namespace kith::entities
