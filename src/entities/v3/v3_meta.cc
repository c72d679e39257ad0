// APIv3's self-description: getfields (from the schema), getoptions,
// getactions and Entity.get (from the action registry).
#include <algorithm>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;
using store::Condition;
using store::Op;
using store::Query;

namespace {

// CRM_Utils_Type's codes, as getfields reports a field's type.
int TypeCode(schema::FieldType type) {
  switch (type) {
    case schema::FieldType::kInt: return 1;
    case schema::FieldType::kString: return 2;
    case schema::FieldType::kDate: return 4;
    case schema::FieldType::kDateTime: return 12;
    case schema::FieldType::kBool: return 16;
    case schema::FieldType::kText: return 32;
    case schema::FieldType::kFloat: return 512;
    case schema::FieldType::kMoney: return 1024;
  }
  return 2;
}

int TypeCodeOf(const std::string& data_type) {
  if (data_type == "Int" || data_type == "Integer" || data_type == "ContactReference" ||
      data_type == "EntityReference") {
    return 1;
  }
  if (data_type == "Date") return 4;
  if (data_type == "Timestamp") return 12;
  if (data_type == "Boolean") return 16;
  if (data_type == "Memo" || data_type == "Text") return 32;
  if (data_type == "Float") return 512;
  if (data_type == "Money") return 1024;
  return 2;
}

// Fields an entity's create requires beyond its schema (checked by its rules).
bool RequiredByRules(const schema::Entity& e, const schema::Field& f) {
  return e.name == "Contact" && f.name == "contact_type";
}

// A core field as CiviCRM's DAO spec lists it, in its key order, with the
// keys kith knows (no html, usage, bao, ...: docs/compatibility.md).
Value FieldSpec(const schema::Entity& e, const schema::Field& f, bool for_create) {
  int type = f.civi.data_type.empty()        ? TypeCode(f.type)
             : f.civi.data_type == "Timestamp" ? 256
                                               : TypeCodeOf(f.civi.data_type);
  Value spec{{"name", f.name}, {"type", type}, {"title", f.title}};
  if (schema::CiviNotNull(f)) spec["required"] = true;
  if (f.max_length > 0) spec["maxlength"] = std::to_string(f.max_length);
  spec["where"] = e.table + "." + f.name;
  // As APIv4's getFields: an option list's default is its rules', not the
  // column's; a create's fields list none (CiviCRM's api.default instead).
  if (!for_create && !f.default_value.is_null() && f.option_group.empty()) {
    spec["default"] = api::ValueAsText(f.default_value);
  }
  spec["table_name"] = e.table;
  spec["entity"] = e.name;
  if (f.serialized) spec["serialize"] = 1;
  const std::string& fk = schema::CiviFkEntity(f);
  // An option group of CiviCRM's; kith's lists of linked rows are not one.
  if (!f.option_group.empty() && f.fk_entity.empty()) {
    spec["pseudoconstant"] = Value{{"optionGroupName", f.option_group}};
    if (f.option_key != "value") spec["pseudoconstant"]["keyColumn"] = f.option_key;
  }
  if (f.civi.readonly.value_or(f.readonly)) spec["readonly"] = true;
  spec["is_core_field"] = true;
  if (!fk.empty()) spec["FKApiName"] = fk;
  if (for_create && ((f.required && !f.readonly && f.default_value.is_null() && f.name != "id") ||
                     RequiredByRules(e, f))) {
    spec["api.required"] = 1;
  }
  if (f.name == "id") spec["api.aliases"] = Value::array({SnakeCase(e.name) + "_id"});
  return spec;
}

Value CustomFieldSpec(const schema::CustomFieldInfo& cf, const schema::CustomGroupInfo* group) {
  Value spec{{"name", cf.key()},
             {"type", TypeCodeOf(cf.data_type)},
             {"title", cf.label},
             {"label", cf.label},
             {"data_type", cf.data_type},
             {"html_type", cf.html_type},
             {"is_required", cf.is_required ? "1" : "0"},
             {"is_searchable", cf.is_searchable ? "1" : "0"},
             {"is_view", cf.is_view ? "1" : "0"},
             {"column_name", cf.column},
             {"custom_field_id", std::to_string(cf.id)},
             {"custom_group_id", std::to_string(cf.group_id)}};
  if (group != nullptr) {
    spec["table_name"] = group->table;
    spec["extends"] = group->extends;
    spec["is_multiple"] = group->is_multiple ? "1" : "0";
  }
  if (!cf.default_value.empty()) spec["default_value"] = cf.default_value;
  if (!cf.option_group.empty()) spec["pseudoconstant"] = Value{{"optionGroupName", cf.option_group}};
  if (cf.serialized) spec["serialize"] = 1;
  return spec;
}

// The fields of an action that describes its own parameters (ParamSpec).
Value ParamSpecs(const api::ActionSpec& spec) {
  Value values = Value::object();
  for (const api::ParamSpec& p : spec.params) {
    Value s{{"name", p.name}, {"type", p.type == "Array" ? 2 : TypeCodeOf(p.type == "Integer" ? "Int" : p.type)},
            {"title", p.title.empty() ? p.name : p.title}};
    if (p.required) s["api.required"] = 1;
    if (!p.description.empty()) s["description"] = p.description;
    values[p.name] = std::move(s);
  }
  return values;
}

// getoptions answers this with civicrm_api3_create_error: the message only.
Status NoOptionList(const std::string& field) {
  return InvalidArgument("The field '" + field + "' has no associated option list.",
                         Value{{"error_plain", true}});
}

// CiviCRM's buildOptions contexts: what a getoptions answers as keys and values.
enum class OptionContext {
  kLabels,      // get, create, search: value => label
  kNames,       // validate: value => name
  kMatch,       // match: name => label
  kAbbreviate,  // abbreviate: value => abbreviation (countries, states), else label
};

StatusOr<Value> OptionsOf(ActionContext& ctx, const schema::Field& f, OptionContext context) {
  Value options = Value::object();
  if (!f.choices.empty()) {
    for (const auto& [value, label] : f.choices) {
      options[value] = context == OptionContext::kNames ? value : label;
    }
    return options;
  }
  auto first_of = [](const schema::Entity& e, std::vector<const char*> columns) -> const char* {
    for (const char* c : columns) {
      if (e.FindField(c) != nullptr) return c;
    }
    return nullptr;
  };
  const schema::Entity* target = f.fk_entity.empty() ? nullptr : ctx.catalog.Find(f.fk_entity);
  if (target != nullptr && f.fk_entity != "Contact") {
    const char* name = first_of(*target, {"name", "label", "title"});
    const char* label = first_of(*target, {"display_name", "label", "title", "name"});
    const char* key = "id";
    if (context == OptionContext::kNames) label = name;
    if (context == OptionContext::kMatch) key = name;
    if (context == OptionContext::kAbbreviate) {
      if (const char* abbr = first_of(*target, {"abbreviation", "iso_code"})) label = abbr;
    }
    if (label != nullptr && key != nullptr) {
      Query q;
      q.entity = target->name;
      q.select = {"id", key, label};
      if (target->FindField("is_active") != nullptr) q.where = Condition::Leaf("is_active", Op::kEq, 1);
      q.order_by = {{"id", false}};
      KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
      for (const Value& r : rows) options[api::ValueAsText(r[key])] = api::ValueAsText(r[label]);
      return options;
    }
  }
  if (!f.option_group.empty()) {
    std::string key = context == OptionContext::kMatch ? "name" : f.option_key;
    std::string label = context == OptionContext::kNames ? "name" : "label";
    Query q;
    q.entity = "OptionValue";
    q.select = {key, label};
    q.where = Condition::And({Condition::Leaf("option_group_id.name", Op::kEq, f.option_group),
                              Condition::Leaf("is_active", Op::kEq, 1)});
    q.order_by = {{"weight", false}, {"id", false}};
    KITH_ASSIGN_OR_RETURN(auto rows, ctx.txn.Select(q));
    for (const Value& r : rows) options[api::ValueAsText(r[key])] = api::ValueAsText(r[label]);
    return options;
  }
  if (f.type == schema::FieldType::kBool) return Value{{"1", "Yes"}, {"0", "No"}};
  return NoOptionList(f.name);
}

}  // namespace

StatusOr<Value> GetFields(ActionContext& ctx, const std::string& entity) {
  const Value& params = ctx.params;
  std::string target = AsciiLower(api::ValueAsText(params.value("api_action", Value())));
  if (target.empty()) target = "get";
  bool sequential = Truthy(params.value("sequential", Value()));
  Value values = Value::object();
  const schema::Entity* e = ctx.catalog.Find(entity);
  if (e == nullptr) {
    const api::ActionSpec* spec = ctx.dispatcher.registry().Find(3, entity, target);
    if (spec != nullptr) values = ParamSpecs(*spec);
    return V3Success(values, sequential);
  }
  if (target == "delete" && e->FindField("id") != nullptr) {
    // A delete takes the id only (CiviCRM's getfields for delete).
    const schema::Field& id = *e->FindField("id");
    values["id"] = Value{{"title", id.title},
                         {"api.required", 1},
                         {"api.aliases", Value::array({SnakeCase(e->name) + "_id"})},
                         {"type", 1},
                         {"name", "id"}};
    return V3Success(values, sequential);
  }
  bool for_create = target == "create";
  for (const schema::Field& f : e->fields) {
    if (f.internal || !f.civi.listed) continue;
    values[f.name] = FieldSpec(*e, f, for_create);
  }
  // Columns CiviCRM has that kith answers without keeping (Contact.api_key).
  for (const schema::Field& f : e->meta_fields) {
    if (f.civi.kind == "Field") values[f.name] = FieldSpec(*e, f, for_create);
  }
  for (const schema::CustomFieldInfo* cf : ctx.catalog.CustomFieldsOf(entity)) {
    if (!cf->is_active) continue;
    values[cf->key()] = CustomFieldSpec(*cf, ctx.catalog.FindCustomGroup(cf->group_id));
  }
  return V3Success(values, sequential);
}

StatusOr<Value> GetOptions(ActionContext& ctx, const std::string& entity) {
  const Value& params = ctx.params;
  std::string name = api::ValueAsText(params.value("field", Value()));
  if (name.empty()) return MandatoryMissing({"field"});
  std::string context_name = api::ValueAsText(params.value("context", Value()));
  OptionContext context = OptionContext::kLabels;
  if (context_name == "validate") {
    context = OptionContext::kNames;
  } else if (context_name == "match") {
    context = OptionContext::kMatch;
  } else if (context_name == "abbreviate") {
    context = OptionContext::kAbbreviate;
  } else if (!context_name.empty() && context_name != "get" && context_name != "create" &&
             context_name != "search") {
    return InvalidArgument("'" + context_name + "' is not a valid context for buildOptions.");
  }
  const schema::Entity* e = ctx.catalog.Find(entity);
  const schema::Field* f = e == nullptr ? nullptr : e->FindField(name);
  Value options;
  if (f != nullptr && !f->internal) {
    KITH_ASSIGN_OR_RETURN(options, OptionsOf(ctx, *f, context));
  } else if (const schema::CustomFieldInfo* cf = ctx.catalog.FindCustomFieldByKey(name);
             cf != nullptr && !cf->option_group.empty()) {
    schema::Field as_field;
    as_field.name = name;
    as_field.option_group = cf->option_group;
    KITH_ASSIGN_OR_RETURN(options, OptionsOf(ctx, as_field, context));
  } else if (ctx.catalog.FindCustomFieldByKey(name) == nullptr) {
    return InvalidArgument("The field '" + name + "' doesn't exist.", Value{{"error_plain", true}});
  } else {
    return NoOptionList(name);
  }
  if (Truthy(params.value("sequential", Value()))) {
    Value list = Value::array();
    for (const auto& [k, v] : options.items()) list.push_back(Value{{"key", k}, {"value", v}});
    return V3Success(list, false);
  }
  return V3Success(options, false);
}

StatusOr<Value> GetActions(ActionContext& ctx, const std::string& entity) {
  Value list = Value::array();
  Value deprecated = Value::object();
  for (const api::ActionSpec* spec : ctx.dispatcher.registry().ActionsOf(3, entity)) {
    list.push_back(spec->action);
    // CiviCRM's APIv3 marks its old spellings of a create with an id.
    if (spec->action == "setvalue" || spec->action == "update") {
      deprecated[spec->action] = "The \"" + spec->action + "\" action is deprecated. Use \"create\" with an id instead.";
    }
  }
  Value out = V3Success(list, false);
  if (!deprecated.empty()) out["deprecated"] = std::move(deprecated);
  return out;
}

StatusOr<Value> EntityGet(ActionContext& ctx) {
  std::vector<std::string> names = ctx.dispatcher.registry().Entities(3);
  std::sort(names.begin(), names.end());
  Value list = Value::array();
  for (const std::string& n : names) list.push_back(n);
  return V3Success(list, false);
}

}  // namespace kith::entities::v3
