#include "extensions/meta_actions.h"

#include <algorithm>
#include <set>

#include "api/field_values.h"
#include "base/strings.h"
#include "extensions/answers.h"

namespace kith::extensions {
namespace {

// CRM_Utils_Type's numbers, which v3 getfields shows as "type".
int V3TypeNumber(const std::string& type) {
  static const std::vector<std::pair<const char*, int>> kTypes = {
      {"Integer", 1}, {"String", 2},   {"Date", 4},    {"Boolean", 16},
      {"Text", 32},   {"Timestamp", 256}, {"Float", 512}, {"Money", 1024}};
  for (auto [name, number] : kTypes) {
    if (type == name) return number;
  }
  return 2;  // Array: CiviCRM has no number for it
}

// The parameters of `action`, in name order.
std::vector<api::ParamSpec> ParamsOf(const api::ActionRegistry& registry, int version,
                                     const std::string& entity, const std::string& action) {
  std::vector<api::ParamSpec> out;
  std::set<std::string> seen;
  for (const api::ActionSpec* spec : registry.ActionsOf(version, entity)) {
    if (!EqualsIgnoreCase(spec->action, action)) continue;
    for (const api::ParamSpec& p : spec->params) {
      if (seen.insert(p.name).second) out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string Text(const Value& params, const char* key) {
  return params.is_object() && params.contains(key) ? api::ValueAsText(params[key]) : "";
}

// The same shape as entities/v3's getfields for actions with ParamSpecs.
StatusOr<Value> V3GetFields(api::ActionContext& ctx, const std::string& entity) {
  std::string action = Text(ctx.params, "api_action");
  if (action.empty()) action = "get";  // CiviCRM's default
  Value values = Value::object();
  for (const api::ParamSpec& p : ParamsOf(ctx.dispatcher.registry(), 3, entity, action)) {
    Value field{{"name", p.name}, {"type", V3TypeNumber(p.type)}, {"title", p.title}};
    if (p.required) field["api.required"] = 1;
    if (!p.description.empty()) field["description"] = p.description;
    values[p.name] = std::move(field);
  }
  Value answer{{"is_error", 0}, {"version", 3}, {"count", values.size()}};
  if (ctx.params.is_object() && ctx.params.contains("sequential") &&
      Truthy(ctx.params["sequential"])) {
    Value list = Value::array();
    for (const auto& [k, v] : values.items()) list.push_back(v);
    answer["values"] = std::move(list);
  } else {
    answer["values"] = std::move(values);
  }
  return answer;
}

std::vector<std::string> ActionNames(const api::ActionRegistry& registry, int version,
                                     const std::string& entity) {
  std::vector<std::string> names;
  for (const api::ActionSpec* spec : registry.ActionsOf(version, entity)) {
    names.push_back(spec->action);
  }
  std::sort(names.begin(), names.end());
  return names;
}

StatusOr<Value> V3GetActions(api::ActionContext& ctx, const std::string& entity) {
  std::vector<std::string> names = ActionNames(ctx.dispatcher.registry(), 3, entity);
  return Value{{"is_error", 0}, {"version", 3}, {"count", names.size()}, {"values", names}};
}

// The same row shape as entities/v4's getFields.
StatusOr<Value> V4GetFields(api::ActionContext& ctx, const std::string& entity) {
  std::string action = Text(ctx.params, "action");
  if (action.empty()) action = "get";
  std::vector<std::string> select;
  if (ctx.params.is_object() && ctx.params.contains("select") && ctx.params["select"].is_array()) {
    for (const Value& s : ctx.params["select"]) {
      if (s.is_string()) select.push_back(s.get<std::string>());
    }
  }
  Value values = Value::array();
  for (const api::ParamSpec& p : ParamsOf(ctx.dispatcher.registry(), 4, entity, action)) {
    // CiviCRM's key order (entities/v4's getFields).
    Value field{{"default_value", nullptr},
                {"type", "Field"},
                {"entity", entity},
                {"required", p.required},
                {"nullable", !p.required},
                {"readonly", false},
                {"name", p.name},
                {"title", p.title},
                {"description", p.description.empty() ? Value() : Value(p.description)},
                {"data_type", p.type},
                {"serialize", nullptr},
                {"fk_entity", nullptr},
                {"options", false},
                {"label", p.title},
                {"input_type", "Text"}};
    if (!select.empty()) {
      Value picked = Value::object();
      for (const auto& [key, v] : field.items()) {
        if (std::find(select.begin(), select.end(), key) != select.end()) picked[key] = v;
      }
      field = std::move(picked);
    }
    values.push_back(std::move(field));
  }
  return Value{{"values", std::move(values)}};
}

StatusOr<Value> V4GetActions(api::ActionContext& ctx, const std::string& entity) {
  Value values = Value::array();
  for (const api::ActionSpec* spec : ctx.dispatcher.registry().ActionsOf(4, entity)) {
    values.push_back(Value{{"name", spec->action},
                           {"entity", spec->entity},
                           {"description", spec->description},
                           {"permissions", spec->permissions}});
  }
  return Value{{"values", std::move(values)}};
}

}  // namespace

api::ActionSpec MetaActionSpec(int version, const std::string& entity, const std::string& action) {
  api::ActionSpec spec;
  spec.version = version;
  spec.entity = entity;
  // APIv4 spells its meta actions in camelCase, as entities/v4 registers them.
  spec.action = version == 4 ? (action == "getfields" ? "getFields" : "getActions") : action;
  spec.permissions = {"access CiviCRM"};  // as for the built-in entities' meta actions
  spec.writes = false;
  const bool fields = action == "getfields";
  spec.description = fields ? "The parameters of the entity's actions" : "The entity's actions";
  if (version == 3) {
    spec.handler = [entity, fields](api::ActionContext& ctx) {
      return fields ? V3GetFields(ctx, entity) : V3GetActions(ctx, entity);
    };
  } else {
    spec.handler = [entity, fields](api::ActionContext& ctx) {
      return fields ? V4GetFields(ctx, entity) : V4GetActions(ctx, entity);
    };
  }
  return spec;
}

}  // namespace kith::extensions
