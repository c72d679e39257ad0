#include "api/openapi.h"

#include <map>
#include <set>

#include "api/action_registry.h"
#include "base/strings.h"

namespace kith::api {

namespace {

constexpr char kApi4Path[] = "/civicrm/ajax/api4";
// Option lists longer than this (states and provinces) are named, not listed:
// getFields with loadOptions answers them.
constexpr size_t kMaxListedOptions = 300;

Value Ref(const std::string& name) { return Value{{"$ref", "#/components/schemas/" + name}}; }

// --- shared parameter shapes -------------------------------------------------

Value WhereSchema() {
  return Value{
      {"type", "array"},
      {"description",
       "Conditions, all of which must hold: [field, operator, value] with operator one of =, !=, "
       "<>, <, >, <=, >=, LIKE, NOT LIKE, IN, NOT IN, BETWEEN, NOT BETWEEN, IS NULL, IS NOT NULL, "
       "IS EMPTY, IS NOT EMPTY, CONTAINS, NOT CONTAINS, REGEXP, NOT REGEXP; or "
       "[\"OR\"|\"AND\"|\"NOT\", [conditions]]."},
      {"items", Value{{"type", "array"},
                      {"minItems", 2},
                      {"prefixItems", Value::array({Value{{"type", "string"}}, Value::object()})}}},
      {"examples", Value::array({Value::array({Value::array({"id", "=", 1})})})}};
}

Value SharedSchemas() {
  Value s = Value::object();
  s["Where"] = WhereSchema();
  s["Select"] = Value{{"type", "array"},
                      {"description",
                       "Fields to answer: names, \"*\", \"custom.*\", joined fields "
                       "(\"email_primary.email\"), option suffixes (\"gender_id:label\"), "
                       "functions (\"COUNT(id) AS count\")."},
                      {"items", Value{{"type", "string"}}}};
  s["OrderBy"] = Value{{"type", "object"},
                       {"description", "Field name to direction."},
                       {"additionalProperties", Value{{"enum", Value::array({"ASC", "DESC", "asc", "desc"})}}}};
  s["Chain"] = Value{
      {"type", "object"},
      {"description",
       "Calls run for each answered record: name to [Entity, action, params, index]; "
       "\"$id\" and \"$field\" in params take the record's values."},
      {"additionalProperties", Value{{"type", "array"}, {"minItems", 2}}}};
  s["Join"] = Value{{"type", "array"},
                    {"description", "[Entity AS alias, type (LEFT|INNER|EXCLUDE), bridge?, conditions...]"},
                    {"items", Value{{"type", "array"}}}};
  s["Error"] = Value{{"type", "object"},
                     {"properties", Value{{"error_code", Value{{"type", Value::array({"integer", "string"})}}},
                                          {"error_message", Value{{"type", "string"}}},
                                          {"status", Value{{"type", "integer"}}},
                                          {"error_id", Value{{"type", "string"}}}}},
                     {"required", Value::array({"error_message"})}};
  return s;
}

// The params of one action of `entity`, by kind; `record` names the
// entity's record schema (empty when it has none).
Value ParamsSchema(const ActionSpec& spec, const std::string& record) {
  Value props = Value::object();
  props["checkPermissions"] = Value{{"type", "boolean"}};
  props["language"] = Value{{"type", "string"}};
  props["chain"] = Ref("Chain");
  Value required = Value::array();
  Value values = record.empty() ? Value{{"type", "object"}} : Ref(record);
  Value records = Value{{"type", "array"}, {"items", values}};
  Value reload = Value{{"type", Value::array({"boolean", "array"})},
                       {"description", "Answer the whole record after the write (or these fields)."},
                       {"items", Value{{"type", "string"}}}};
  Value limit = Value{{"type", "integer"}, {"minimum", 0}, {"description", "0: no limit"}};
  Value offset = Value{{"type", "integer"}, {"minimum", 0}};
  Value match = Value{{"type", "array"}, {"items", Value{{"type", "string"}}},
                      {"description", "Fields that find an existing record to update."}};
  const std::string& a = spec.action;
  if (!spec.params.empty()) {  // an extension action describes its own parameters
    for (const ParamSpec& p : spec.params) {
      Value prop = Value{{"title", p.title.empty() ? p.name : p.title}};
      if (!p.description.empty()) prop["description"] = p.description;
      if (p.type == "Integer") prop["type"] = "integer";
      if (p.type == "Float" || p.type == "Money") prop["type"] = "number";
      if (p.type == "Boolean") prop["type"] = "boolean";
      if (p.type == "Array") prop["type"] = Value::array({"array", "object"});
      if (!prop.contains("type")) prop["type"] = "string";
      props[p.name] = std::move(prop);
      if (p.required) required.push_back(p.name);
    }
  } else if (a == "get") {
    props["select"] = Ref("Select");
    props["where"] = Ref("Where");
    props["orderBy"] = Ref("OrderBy");
    props["limit"] = limit;
    props["offset"] = offset;
    props["join"] = Ref("Join");
    props["groupBy"] = Value{{"type", "array"}, {"items", Value{{"type", "string"}}}};
    props["having"] = Ref("Where");
  } else if (a == "create") {
    props["values"] = record.empty() ? values : Ref(record + ".create");
    required.push_back("values");
  } else if (a == "update") {
    props["values"] = values;
    props["where"] = Ref("Where");
    props["reload"] = reload;
    props["orderBy"] = Ref("OrderBy");
    props["limit"] = limit;
    props["offset"] = offset;
    required.push_back("values");
  } else if (a == "save" || a == "replace") {
    props["records"] = records;
    props["defaults"] = values;
    props["match"] = match;
    props["reload"] = reload;
    if (a == "replace") props["where"] = Ref("Where");
    required.push_back("records");
  } else if (a == "delete") {
    props["where"] = Ref("Where");
    props["orderBy"] = Ref("OrderBy");
    props["limit"] = limit;
    props["offset"] = offset;
    if (spec.entity == "Contact") {
      props["useTrash"] = Value{{"type", "boolean"}, {"description", "false: delete for good"}};
    }
    required.push_back("where");
  } else if (a == "getFields" || a == "getActions") {
    props["select"] = Ref("Select");
    props["where"] = Ref("Where");
    props["orderBy"] = Ref("OrderBy");
    props["limit"] = limit;
    props["offset"] = offset;
    if (a == "getFields") {
      props["action"] = Value{{"type", "string"}, {"default", "get"}};
      props["loadOptions"] = Value{{"type", Value::array({"boolean", "array"})},
                                   {"items", Value{{"type", "string"}}}};
      props["values"] = Value{{"type", "object"}};
      props["includeCustom"] = Value{{"type", "boolean"}, {"default", true}};
    }
  }
  Value schema{{"type", "object"}, {"properties", props}};
  if (!required.empty()) schema["required"] = required;
  return schema;
}

// --- record schemas from getFields -------------------------------------------

Value BaseType(const std::string& data_type) {
  if (data_type == "Integer") return Value{{"type", "integer"}};
  if (data_type == "Float") return Value{{"type", "number"}};
  if (data_type == "Money") return Value{{"type", Value::array({"number", "string"})}};
  if (data_type == "Boolean") return Value{{"type", "boolean"}};
  if (data_type == "Date") return Value{{"type", "string"}, {"format", "date"}};
  if (data_type == "Timestamp" || data_type == "Datetime") {
    return Value{{"type", "string"}, {"description", "YYYY-MM-DD HH:MM:SS"}};
  }
  return Value{{"type", "string"}};
}

// The choices of a field with listed options: {"oneOf": [{"const", "title"}]}
// and the enum of their names, kept once per linked entity in `schemas`
// (every country_id names the same countries).
std::pair<Value, Value> Choices(const Value& field, const Value& options, Value& schemas) {
  std::string fk = field.value("fk_entity", Value()).is_string() ? field["fk_entity"].get<std::string>() : "";
  if (!fk.empty() && schemas.contains(fk + ".option")) return {Ref(fk + ".option"), Ref(fk + ".optionName")};
  Value one_of = Value::array();
  Value names = Value::array();
  for (const Value& o : options) {
    Value choice{{"const", o.value("id", Value())}};
    if (o.contains("label") && o["label"].is_string()) choice["title"] = o["label"];
    one_of.push_back(std::move(choice));
    if (o.contains("name") && !o["name"].is_null()) names.push_back(o["name"]);
  }
  Value ids{{"oneOf", one_of}};
  Value by_name = names.empty() ? Value{{"type", "string"}} : Value{{"enum", names}};
  if (fk.empty()) return {ids, by_name};
  schemas[fk + ".option"] = ids;
  schemas[fk + ".optionName"] = by_name;
  return {Ref(fk + ".option"), Ref(fk + ".optionName")};
}

// One getFields row as a property schema; `label_props` gets the
// field:label and field:name forms of a field with options.
Value Property(const Value& field, Value& label_props, Value& schemas) {
  std::string name = field.value("name", std::string());
  std::string data_type = field.value("data_type", std::string("String"));
  Value base = BaseType(data_type);
  const Value& options = field.value("options", Value());
  bool listed = options.is_array() && !options.empty() && options.size() <= kMaxListedOptions;
  if (listed) {
    auto [ids, names] = Choices(field, options, schemas);
    base = ids;
    label_props[name + ":label"] = Value{{"type", "string"}, {"description", "The option's label"}};
    label_props[name + ":name"] = names;
  } else if (options.is_array() || options == true) {
    base["description"] = "One of the options getFields lists (loadOptions).";
  }
  Value prop = Value::object();
  if (field.contains("serialize") && field["serialize"].is_number() && field["serialize"] != 0) {
    prop = Value{{"type", "array"}, {"items", base}};
  } else if (listed) {
    prop = Value{{"anyOf", Value::array({base})}};
  } else {
    prop = base;
  }
  if (field.value("nullable", true) == true) {
    if (prop.contains("anyOf")) {
      prop["anyOf"].push_back(Value{{"type", "null"}});
    } else if (prop["type"].is_array()) {
      prop["type"].push_back("null");
    } else {
      prop["type"] = Value::array({prop["type"], "null"});
    }
  }
  if (field.contains("title") && field["title"].is_string()) prop["title"] = field["title"];
  std::string description = field.value("description", Value()).is_string()
                                ? field["description"].get<std::string>() : "";
  if (field.contains("fk_entity") && field["fk_entity"].is_string()) {
    std::string fk = field["fk_entity"].get<std::string>();
    description += (description.empty() ? "" : " ") + std::string("The id of a ") + fk + ".";
    prop["x-fk-entity"] = fk;
  }
  if (!description.empty()) {
    std::string had = prop.value("description", std::string());
    prop["description"] = had.empty() ? description : description + " " + had;
  }
  if (field.value("readonly", false) == true) prop["readOnly"] = true;
  if (field.contains("input_type") && field["input_type"].is_string()) {
    prop["x-input-type"] = field["input_type"];
  }
  if (field.value("type", std::string()) == "Custom") prop["x-custom-field-id"] = field.value("custom_field_id", Value());
  return prop;
}

// The record schema of an entity and its create form (required fields).
void AddRecordSchemas(const std::string& entity, const Value& fields, Value& schemas) {
  Value props = Value::object();
  Value label_props = Value::object();
  Value required = Value::array();
  for (const Value& f : fields) {
    if (!f.contains("name") || !f["name"].is_string()) continue;
    props[f["name"].get<std::string>()] = Property(f, label_props, schemas);
    if (f.value("required", false) == true) required.push_back(f["name"]);
  }
  for (auto& [k, v] : label_props.items()) {
    if (!props.contains(k)) props[k] = v;
  }
  schemas[entity] = Value{{"type", "object"}, {"title", entity}, {"properties", props}};
  Value create = Value{{"allOf", Value::array({Ref(entity)})}};
  if (!required.empty()) create["required"] = required;
  schemas[entity + ".create"] = create;
}

// --- paths -------------------------------------------------------------------

Value ErrorResponse(const std::string& description) {
  return Value{{"description", description},
               {"content", Value{{"application/json", Value{{"schema", Ref("Error")}}}}}};
}

// The error answers every action shares, by status.
const std::vector<std::pair<std::string, std::string>>& ErrorStatuses() {
  static const std::vector<std::pair<std::string, std::string>> kStatuses = {
      {"400", "Bad parameters"},
      {"401", "A credential that is not valid (plain text)"},
      {"403", "The caller lacks a permission the action needs"},
      {"404", "No such record, entity or action"},
      {"413", "Over a request limit"},
      {"500", "Internal error"}};
  return kStatuses;
}

Value SharedResponses() {
  Value out = Value::object();
  for (const auto& [status, description] : ErrorStatuses()) {
    out["E" + status] = status == "401" ? Value{{"description", description}} : ErrorResponse(description);
  }
  return out;
}

Value Responses(const std::string& result) {
  Value out{{"200", Value{{"description", "The APIv4 result"},
                          {"content", Value{{"application/json", Value{{"schema", Ref(result)}}}}}}}};
  for (const auto& [status, description] : ErrorStatuses()) {
    out[status] = Value{{"$ref", "#/components/responses/E" + status}};
  }
  return out;
}

Value ResultSchema(const Value& items) {
  return Value{{"type", "object"},
               {"properties", Value{{"values", Value{{"type", "array"}, {"items", items}}},
                                    {"entity", Value{{"type", "string"}}},
                                    {"action", Value{{"type", "string"}}},
                                    {"version", Value{{"const", 4}}},
                                    {"count", Value{{"type", "integer"}}},
                                    {"countFetched", Value{{"type", "integer"}}},
                                    {"countMatched", Value{{"type", "integer"}}}}},
               {"required", Value::array({"values"})}};
}

bool AnswersRecords(const std::string& action) {
  static const std::set<std::string> kRecordActions = {"get", "create", "update", "save", "replace"};
  return kRecordActions.count(action) > 0;
}

bool Reads(const ActionSpec& spec) {
  return !spec.writes && AsciiLower(spec.action).rfind("get", 0) == 0;
}

Value Operation(const ActionSpec& spec, const std::string& params_name, const std::string& result,
                bool post) {
  Value op{{"operationId", spec.entity + "." + spec.action + (post ? "" : ".query")},
           {"tags", Value::array({spec.entity})},
           {"summary", spec.description.empty() ? spec.entity + "." + spec.action : spec.description}};
  std::string perms = spec.permissions.empty() ? "any user" : Join(spec.permissions, ", ");
  op["description"] = "APIv4 " + spec.entity + "." + spec.action + ". Permission: " + perms + "." +
                      (spec.writes ? " Writes." : "");
  if (post) {
    Value params_field{{"type", "string"},
                       {"description", "The params, as JSON"},
                       {"contentMediaType", "application/json"},
                       {"contentSchema", Ref(params_name)}};
    Value form{{"type", "object"}, {"properties", Value{{"params", params_field}}}};
    Value content = Value::object();
    content["application/x-www-form-urlencoded"] = Value{{"schema", form}};
    content["application/json"] = Value{{"schema", Ref(params_name)}};
    op["requestBody"] = Value{{"content", content}};
  } else {
    op["parameters"] = Value::array({Value{
        {"name", "params"},
        {"in", "query"},
        {"description", "The params, as JSON"},
        {"content", Value{{"application/json", Value{{"schema", Ref(params_name)}}}}}}});
  }
  op["responses"] = Responses(result);
  return op;
}

// Several calls in one request: calls={"name": [Entity, action, params, index]}.
Value MultiCallOperation() {
  Value call{{"type", "array"},
             {"minItems", 2},
             {"prefixItems", Value::array({Value{{"type", "string"}, {"description", "Entity"}},
                                           Value{{"type", "string"}, {"description", "action"}},
                                           Value{{"type", "object"}, {"description", "params"}}})}};
  Value calls{{"type", Value::array({"object", "array"})},
              {"additionalProperties", call},
              {"items", call}};
  Value calls_field{{"type", "string"}, {"contentMediaType", "application/json"}, {"contentSchema", calls}};
  Value form{{"type", "object"},
             {"required", Value::array({"calls"})},
             {"properties", Value{{"calls", calls_field}}}};
  Value content = Value::object();
  content["application/x-www-form-urlencoded"] = Value{{"schema", form}};
  Value answer{{"type", Value::array({"object", "array"})}};
  Value ok{{"description", "Each call's result (or error) under its name"},
           {"content", Value{{"application/json", Value{{"schema", answer}}}}}};
  Value op = Value::object();
  op["operationId"] = "api4.calls";
  op["summary"] = "Several APIv4 calls in one request";
  op["requestBody"] = Value{{"content", content}};
  op["responses"] = Value{{"200", ok}, {"400", ErrorResponse("Bad parameters")}};
  return op;
}

Value SecuritySchemes() {
  return Value{
      {"civiAuth", Value{{"type", "apiKey"},
                         {"in", "header"},
                         {"name", "X-Civi-Auth"},
                         {"description", "\"Bearer API_KEY\" (or \"Basic base64(user:password)\")"}}},
      {"authxParam", Value{{"type", "apiKey"},
                           {"in", "query"},
                           {"name", "_authx"},
                           {"description", "\"Bearer API_KEY\" as a parameter"}}},
      {"apiKey", Value{{"type", "apiKey"},
                       {"in", "query"},
                       {"name", "api_key"},
                       {"description", "The user's api key, with the site key in key="}}},
      {"siteKey", Value{{"type", "apiKey"},
                        {"in", "header"},
                        {"name", "X-Civi-Key"},
                        {"description", "The site key (needed unless the user may log in by api key)"}}}};
}

bool MayRun(const auth::Caller& caller, const ActionSpec& spec) {
  for (const std::string& p : spec.permissions) {
    if (!caller.Has(p)) return false;
  }
  return !caller.anonymous;
}

// The getFields rows of `entity` (for create: with `required`), each field's
// options listed when there are at most kMaxListedOptions of them. The
// options of a link to another entity are loaded once per document
// (`fk_options`: entity name to its list, or null when too long).
StatusOr<Value> FieldsWithOptions(const Dispatcher& dispatcher, store::Transaction& txn,
                                  const auth::Caller& caller, const std::string& entity,
                                  Value& fk_options) {
  auto get_fields = [&](Value params) -> StatusOr<Value> {
    params["action"] = "create";
    KITH_ASSIGN_OR_RETURN(Value r, dispatcher.RunIn(txn, ApiCall{entity, "getFields", params, 4}, caller));
    return r["values"];
  };
  const Value load = Value::array({"id", "name", "label"});
  KITH_ASSIGN_OR_RETURN(Value fields, get_fields(Value::object()));
  Value own = Value::array();  // fields with option lists of their own
  for (Value& f : fields) {
    if (f.value("options", Value()) != true) continue;
    const Value& fk = f.value("fk_entity", Value());
    if (!fk.is_string()) {
      own.push_back(f["name"]);
      continue;
    }
    std::string target = fk.get<std::string>();
    if (!fk_options.contains(target)) {
      StatusOr<Value> count = dispatcher.RunIn(
          txn, ApiCall{target, "get", Value{{"select", Value::array({"row_count"})}}, 4}, caller);
      bool few = count.ok() && (*count).value("count", Value(0)).is_number_integer() &&
                 (*count)["count"].get<int64_t>() <= static_cast<int64_t>(kMaxListedOptions);
      fk_options[target] = Value();
      if (few) {
        KITH_ASSIGN_OR_RETURN(
            Value one, get_fields(Value{{"where", Value::array({Value::array({"name", "=", f["name"]})})},
                                        {"loadOptions", load}}));
        if (!one.empty()) fk_options[target] = one[0]["options"];
      }
    }
    if (!fk_options[target].is_null()) f["options"] = fk_options[target];
  }
  if (!own.empty()) {
    KITH_ASSIGN_OR_RETURN(
        Value listed, get_fields(Value{{"where", Value::array({Value::array({"name", "IN", own})})},
                                       {"loadOptions", load}}));
    std::map<std::string, Value> by_name;
    for (Value& l : listed) by_name[l["name"].get<std::string>()] = std::move(l["options"]);
    for (Value& f : fields) {
      auto it = f.contains("name") && f["name"].is_string() ? by_name.find(f["name"].get<std::string>())
                                                           : by_name.end();
      if (it != by_name.end()) f["options"] = it->second;
    }
  }
  return fields;
}

}  // namespace

StatusOr<Value> OpenApiDocument(const Dispatcher& dispatcher, const auth::Caller& caller) {
  const ActionRegistry& registry = dispatcher.registry();
  KITH_ASSIGN_OR_RETURN(auto txn, dispatcher.store().Begin(false));
  Value schemas = SharedSchemas();
  Value paths = Value::object();
  Value tags = Value::array();
  Value fk_options = Value::object();
  for (const std::string& entity : registry.Entities(4)) {
    std::vector<const ActionSpec*> actions;
    for (const ActionSpec* spec : registry.ActionsOf(4, entity)) {
      if (MayRun(caller, *spec)) actions.push_back(spec);
    }
    if (actions.empty()) continue;
    // The record: what getFields says, when the entity has a schema.
    std::string record;
    const ActionSpec* get_fields = registry.Find(4, entity, "getFields");
    if (get_fields != nullptr && get_fields->params.empty() && MayRun(caller, *get_fields)) {
      KITH_ASSIGN_OR_RETURN(Value fields, FieldsWithOptions(dispatcher, *txn, caller, entity, fk_options));
      AddRecordSchemas(entity, fields, schemas);
      record = entity;
    }
    tags.push_back(Value{{"name", entity}});
    for (const ActionSpec* spec : actions) {
      std::string params_name = entity + "." + spec->action + ".params";
      schemas[params_name] = ParamsSchema(*spec, record);
      bool records = !record.empty() && AnswersRecords(spec->action);
      std::string result_name = records ? record + ".result" : "Result";
      if (!schemas.contains(result_name)) {
        schemas[result_name] = ResultSchema(records ? Ref(record) : Value{{"type", "object"}});
      }
      Value item{{"post", Operation(*spec, params_name, result_name, true)}};
      if (Reads(*spec)) item["get"] = Operation(*spec, params_name, result_name, false);
      paths[std::string(kApi4Path) + "/" + entity + "/" + spec->action] = std::move(item);
    }
  }
  Value doc = Value::object();
  doc["openapi"] = "3.1.0";
  doc["info"] = Value{
      {"title", "kith APIv4"},
      {"version", "4"},
      {"description",
       "CiviCRM's APIv4 as kith serves it: POST /civicrm/ajax/api4/{Entity}/{action} with the "
       "params as JSON in the form field `params` (or as a JSON body). Read actions also take GET. "
       "Generated from the live schema (custom fields included) for the calling user."}};
  doc["security"] = Value::array({Value{{"civiAuth", Value::array()}},
                                  Value{{"authxParam", Value::array()}},
                                  Value{{"apiKey", Value::array()}, {"siteKey", Value::array()}}});
  doc["tags"] = tags;
  paths[kApi4Path] = Value{{"post", MultiCallOperation()}};
  doc["paths"] = paths;
  doc["components"] = Value{
      {"securitySchemes", SecuritySchemes()}, {"schemas", schemas}, {"responses", SharedResponses()}};
  return doc;
}

}  // namespace kith::api
