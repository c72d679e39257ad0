#include "entities/v2/v2_actions.h"

#include <algorithm>
#include <set>

#include "api/custom_data.h"
#include "api/field_values.h"
#include "api/records.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/custom_contact_values.h"
#include "entities/custom_data_ops.h"
#include "entities/v2/v2_params.h"
#include "schema/schema.h"

namespace kith::entities::v2 {
namespace {

using api::ActionContext;
using api::ValueAsText;
using store::Condition;
using store::Op;
using store::Query;

Value DataParams(const Value& params) {
  Value out = Value::object();
  for (const auto& [k, v] : params.items()) {
    if (!IsV2EnvelopeParam(k)) out[k] = v;
  }
  return out;
}

// PHP's empty(): missing, "", "0", an empty list.
bool Empty(const Value& params, const char* key) {
  if (!params.contains(key)) return true;
  const Value& v = params[key];
  if (v.is_object() || v.is_array()) return v.empty();
  std::string text(TrimAscii(ValueAsText(v)));
  return text.empty() || text == "0";
}

std::optional<int64_t> PositiveId(const Value& params, const char* key) {
  if (!params.contains(key)) return std::nullopt;
  auto id = ParseInt64(TrimAscii(ValueAsText(params[key])));
  if (!id || *id <= 0) return std::nullopt;
  return id;
}

// A stored row as 3.2 answers it: text values, NULL columns left out.
StatusOr<Value> RowAsText(store::Transaction& txn, const char* entity_name, int64_t id) {
  std::shared_ptr<const schema::Catalog> catalog = txn.catalog();
  const schema::Entity* entity = catalog->Find(entity_name);
  KITH_ASSIGN_OR_RETURN(Value row, api::LoadRecord(txn, *entity, id));
  Value out = Value::object();
  for (const auto& [k, v] : row.items()) {
    if (!v.is_null()) out[k] = ValueAsText(v);
  }
  return out;
}

// The fields asked for with return.x, return_x, return[x]=1 or return=x,y.
std::vector<std::string> ReturnKeys(const Value& params) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : params.items()) {
    if (key == "return" && value.is_object()) {
      for (const auto& [k, v] : value.items()) keys.push_back(k);
    } else if (key == "return" && value.is_string()) {
      for (std::string_view k : Split(value.get_ref<const std::string&>(), ',', true)) {
        keys.emplace_back(TrimAscii(k));
      }
    } else if (key.rfind("return.", 0) == 0 || key.rfind("return_", 0) == 0) {
      keys.push_back(key.substr(7));
    }
  }
  return keys;
}

// custom_group/get and custom_field/get (3.2 had neither): rows keyed by id
// with every column (or those asked for, id always), text values, NULL
// columns left out as 3.2's gets do; other parameters naming a column are
// equality filters, unknown ones are ignored as 3.2 ignores them.
StatusOr<Value> ListRows(ActionContext& ctx, const char* entity_name) {
  const schema::Entity* entity = ctx.catalog.Find(entity_name);
  Query q;
  q.entity = entity_name;
  std::vector<std::string> asked = ReturnKeys(ctx.params);
  for (const schema::Field& f : entity->fields) {
    bool wanted = asked.empty() || f.name == "id" ||
                  std::find(asked.begin(), asked.end(), f.name) != asked.end();
    if (wanted && !f.internal) q.select.push_back(f.name);
  }
  const Value data = DataParams(ctx.params);
  for (const auto& [k, v] : data.items()) {
    const schema::Field* f = entity->FindField(k);
    if (f == nullptr || f->internal || k.rfind("return", 0) == 0) continue;
    KITH_ASSIGN_OR_RETURN(Value stored, api::CoerceFieldValue(*f, v));
    q.where.children.push_back(Condition::Leaf(k, Op::kEq, stored));
  }
  q.order_by = {{"weight", false}, {"id", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
  Value result = Value::object();
  for (const Value& row : rows) {
    Value out = Value::object();
    for (const auto& [k, v] : row.items()) {
      if (!v.is_null()) out[k] = ValueAsText(v);
    }
    result[ValueAsText(row["id"])] = std::move(out);
  }
  return result;
}

// --- custom_group ---------------------------------------------------------

// 3.2's checks, in its order: extends (or class_name), then title.
Status CheckGroupParams(Value& input) {
  std::string class_name(TrimAscii(ValueAsText(input.value("class_name", Value()))));
  input.erase("class_name");
  if (!class_name.empty()) {
    input["extends"] = Value::array({class_name});
  } else if (!input.contains("extends") || (input["extends"].is_string() &&
                                            TrimAscii(input["extends"].get<std::string>()).empty())) {
    return InvalidArgument("Params must include either 'class_name' (string) or 'extends' (array).");
  } else if (input["extends"].is_object() || input["extends"].is_array()) {
    const Value& list = input["extends"];
    Value first = list.is_array() ? (list.empty() ? Value() : list[0]) : list.value("0", Value());
    if (TrimAscii(ValueAsText(first)).empty()) {
      return InvalidArgument("First item in params['extends'] must be a class name (e.g. 'Contact').");
    }
  }
  if (Empty(input, "title")) return InvalidArgument("Title parameter is required.");
  return Status();
}

StatusOr<Value> CustomGroupCreate(ActionContext& ctx) {
  Value input = DataParams(ctx.params);
  KITH_RETURN_IF_ERROR(CheckGroupParams(input));
  // With html_type, 3.2 creates a first field from the same parameters: the
  // group takes its own columns, the field the rest.
  const schema::Entity* group_entity = ctx.catalog.Find("CustomGroup");
  Value group_input = Value::object();
  Value field_input = Value::object();
  bool with_field = !Empty(input, "html_type");
  for (const auto& [k, v] : input.items()) {
    if (group_entity->FindField(k) != nullptr) {
      group_input[k] = v;
    } else if (with_field) {
      field_input[k] = v;
    } else {
      return InvalidArgument("Unknown field: " + k, {{"error_field", k}});
    }
  }
  KITH_ASSIGN_OR_RETURN(int64_t id, CreateCustomGroup(ctx, group_input, /*ignore_unknown=*/false));
  KITH_ASSIGN_OR_RETURN(Value result, RowAsText(ctx.txn, "CustomGroup", id));
  result["is_error"] = 0;
  if (with_field) {
    if (Empty(field_input, "label")) return InvalidArgument("Missing Required field :label");
    field_input["custom_group_id"] = id;
    KITH_ASSIGN_OR_RETURN(int64_t field_id, CreateCustomField(ctx, field_input, false));
    result["customFieldId"] = field_id;
  }
  return result;
}

StatusOr<Value> CustomGroupDelete(ActionContext& ctx) {
  auto id = PositiveId(ctx.params, "id");
  if (!id) return InvalidArgument("Invalid or no value for Custom group ID");
  Status s = DeleteCustomGroup(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Error while deleting custom group");
  }
  KITH_RETURN_IF_ERROR(s);
  return Value(1);
}

// --- custom_field ---------------------------------------------------------

StatusOr<Value> CustomFieldCreate(ActionContext& ctx) {
  Value input = DataParams(ctx.params);
  if (Empty(input, "custom_group_id")) {
    return InvalidArgument("Missing Required field :custom_group_id");
  }
  if (Empty(input, "label")) return InvalidArgument("Missing Required field :label");
  input.erase("option_type");  // 3.2's flag for "new option list", always so here
  KITH_ASSIGN_OR_RETURN(int64_t id, CreateCustomField(ctx, input, /*ignore_unknown=*/false));
  return Value{{"is_error", 0}, {"result", {{"customFieldId", id}}}};
}

StatusOr<Value> CustomFieldDelete(ActionContext& ctx) {
  auto id = PositiveId(ctx.params, "id");
  if (!id) return InvalidArgument("Invalid or no value for Custom Field ID");
  Status s = DeleteCustomField(ctx, *id);
  if (s.code() == absl::StatusCode::kNotFound) {
    return InvalidArgument("Error while deleting custom field");
  }
  KITH_RETURN_IF_ERROR(s);
  return Value(1);
}

// --- custom_value ---------------------------------------------------------

struct EntityRef {
  std::string entity;  // "Contact"
  int64_t id = 0;
};

// entity_id (required) and entity_table (default contacts) of a
// custom_value call, checked to name an existing record.
StatusOr<EntityRef> ValueTarget(ActionContext& ctx) {
  const Value& p = ctx.params;
  if (Empty(p, "entity_id")) {
    return InvalidArgument("Mandatory key(s) missing from params array: entity_id",
                           {{"error_code", "mandatory_missing"}, {"fields", Value::array({"entity_id"})}});
  }
  EntityRef ref;
  auto id = PositiveId(p, "entity_id");
  if (!id) {
    return InvalidArgument("entity_id is not valid: " + ValueAsText(p["entity_id"]),
                           {{"error_code", 2001}, {"error_field", "entity_id"}});
  }
  ref.id = *id;
  std::string table(TrimAscii(ValueAsText(p.value("entity_table", Value()))));
  if (table.empty() || table == "civicrm_contact" || table == "Contact") {
    ref.entity = "Contact";
  } else {
    for (const auto& e : ctx.catalog.entities()) {
      if (e->table == table || e->name == table) ref.entity = e->name;
    }
    bool extended = false;
    for (const schema::CustomGroupInfo& g : ctx.catalog.custom_groups()) {
      extended = extended || g.base_entity == ref.entity;
    }
    if (!extended) {
      return InvalidArgument("entity_table is not valid: " + table,
                             {{"error_code", 2001}, {"error_field", "entity_table"}});
    }
  }
  Query q;
  q.entity = ref.entity;
  q.select = {"id"};
  q.where = Condition::Leaf("id", Op::kEq, ref.id);
  KITH_ASSIGN_OR_RETURN(int64_t n, ctx.txn.Count(q));
  if (n == 0) {
    return InvalidArgument("entity_id is not valid: " + std::to_string(ref.id),
                           {{"error_code", 2001}, {"error_field", "entity_id"}});
  }
  return ref;
}

// The fields asked for with return.custom_N, return[custom_N]=1 or
// return=custom_N,custom_M; empty = all.
std::set<int64_t> ReturnedFieldIds(const schema::Catalog& catalog, const Value& params) {
  std::set<int64_t> ids;
  for (const std::string& k : ReturnKeys(params)) {
    if (const schema::CustomFieldInfo* f = catalog.FindCustomFieldByKey(k)) ids.insert(f->id);
  }
  return ids;
}

// APIv3's value of a field: multi-values as lists.
Value ValueOut(const schema::CustomFieldInfo& f, const Value& stored) {
  if (!f.serialized || stored.is_null()) return api::CustomValueText(f, stored);
  Value list = Value::array();
  for (const std::string& v : schema::SplitPaddedValues(ValueAsText(stored))) list.push_back(v);
  return list;
}

StatusOr<Value> CustomValueGet(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(EntityRef ref, ValueTarget(ctx));
  std::set<int64_t> wanted = ReturnedFieldIds(ctx.catalog, ctx.params);
  Value result = Value::object();
  for (const schema::CustomGroupInfo& g : ctx.catalog.custom_groups()) {
    if (g.base_entity != ref.entity || !g.is_active) continue;
    KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, api::ReadCustomRows(ctx.txn, g, ref.id));
    if (rows.empty()) continue;
    for (int64_t field_id : g.field_ids) {
      const schema::CustomFieldInfo* f = ctx.catalog.FindCustomField(field_id);
      if (f == nullptr || !f->is_active || (!wanted.empty() && !wanted.count(field_id))) continue;
      Value entry{{"entity_id", std::to_string(ref.id)}, {"latest", ""}, {"id", std::to_string(f->id)}};
      for (const Value& row : rows) {
        Value out = ValueOut(*f, row[f->column]);
        entry["latest"] = out;
        entry[g.is_multiple ? ValueAsText(row["id"]) : "0"] = std::move(out);
      }
      result[std::to_string(f->id)] = std::move(entry);
    }
  }
  return result;
}

StatusOr<Value> CustomValueCreate(ActionContext& ctx) {
  KITH_ASSIGN_OR_RETURN(EntityRef ref, ValueTarget(ctx));
  Value custom = Value::object();
  const Value data = DataParams(ctx.params);
  for (const auto& [k, v] : data.items()) {
    if (k == "entity_id" || k == "entity_table") continue;
    if (!api::ResolveCustomKey(ctx.catalog, k)) {
      return InvalidArgument("Unknown field: " + k, {{"error_field", k}});
    }
    custom[k] = v;
  }
  KITH_ASSIGN_OR_RETURN(std::vector<api::CustomValueWrite> writes,
                        api::PrepareCustomValues(ctx.txn, ctx.catalog, ref.entity, custom));
  if (writes.empty()) {
    return InvalidArgument("No custom values given: send custom_N=value",
                           {{"error_code", "mandatory_missing"}});
  }
  if (ref.entity == "Contact") {
    KITH_RETURN_IF_ERROR(SaveContactCustomValues(ctx, ref.id, writes));
  } else {
    KITH_RETURN_IF_ERROR(api::WriteCustomValues(ctx.txn, ref.id, writes));
  }
  return Value(true);
}

}  // namespace

void RegisterCustomV2Actions(api::ActionRegistry& registry) {
  const std::vector<std::string> kAdmin = {"access CiviCRM", "administer CiviCRM"};
  auto add = [&](const char* entity, const char* action, std::vector<std::string> perms,
                 bool writes, const char* description, api::ActionHandler handler) {
    registry.Register({2, entity, action, std::move(perms), writes, description, std::move(handler)});
  };
  add("CustomGroup", "create", kAdmin, true,
      "Creates a custom group (and its table); with html_type also its first field",
      CustomGroupCreate);
  add("CustomGroup", "delete", kAdmin, true, "Deletes a custom group, its fields and values",
      CustomGroupDelete);
  add("CustomGroup", "get", {"access CiviCRM"}, false, "Custom groups, filtered by their columns",
      [](ActionContext& ctx) { return ListRows(ctx, "CustomGroup"); });
  add("CustomField", "create", kAdmin, true, "Creates a custom field (and its column)",
      CustomFieldCreate);
  add("CustomField", "delete", kAdmin, true, "Deletes a custom field and its values",
      CustomFieldDelete);
  add("CustomField", "get", {"access CiviCRM"}, false, "Custom fields, filtered by their columns",
      [](ActionContext& ctx) { return ListRows(ctx, "CustomField"); });
  add("CustomValue", "get", {"access CiviCRM", "view all contacts"}, false,
      "The custom values of one record, per field", CustomValueGet);
  add("CustomValue", "create", {"access CiviCRM", "edit all contacts"}, true,
      "Sets custom values of one record", CustomValueCreate);
}

}  // namespace kith::entities::v2
