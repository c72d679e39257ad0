// APIv3 chained calls (shared/PROTOCOL.md C.2.6): api.<Entity>.<action>
// parameters run once per row of the parent's values, inside the parent's
// transaction, each through the dispatcher (so its permissions are checked);
// a failing child fails the whole call.
#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "entities/v3/v3_actions.h"

namespace kith::entities::v3 {

using api::ActionContext;

namespace {

// `$value.a.b` in a child's parameters: the parent row's field, following
// keys that may themselves contain dots ("api.Email.create").
const Value* Lookup(const Value& row, const std::string& path) {
  if (!row.is_object()) return nullptr;
  if (row.contains(path)) return &row[path];
  for (size_t dot = path.rfind('.'); dot != std::string::npos && dot > 0;
       dot = path.rfind('.', dot - 1)) {
    std::string head = path.substr(0, dot);
    if (row.contains(head)) {
      const Value& inner = row[head];
      std::string rest = path.substr(dot + 1);
      if (inner.is_object() && inner.contains("values")) {
        // A nested result: its single value's field.
        const Value& values = inner["values"];
        if (values.size() == 1 && !values.begin()->is_null()) {
          if (const Value* v = Lookup(*values.begin(), rest)) return v;
        }
      }
      if (const Value* v = Lookup(inner, rest)) return v;
    }
    if (dot == 0) break;
  }
  return nullptr;
}

Value Substitute(const Value& v, const Value& row) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.rfind("$value.", 0) != 0) return v;
    const Value* found = Lookup(row, s.substr(7));
    return found == nullptr ? Value() : *found;
  }
  if (v.is_object()) {
    Value out = Value::object();
    for (const auto& [k, x] : v.items()) out[k] = Substitute(x, row);
    return out;
  }
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& x : v) out.push_back(Substitute(x, row));
    return out;
  }
  return v;
}

// What a child call gets from its parent row unless it says otherwise.
Value ChildDefaults(const ActionContext& ctx, const std::string& parent, const std::string& child,
                    const Value& row, const Value& given) {
  Value d = Value::object();
  std::string parent_key = SnakeCase(parent) + "_id";
  Value id = row.contains("id") ? row["id"] : row.value(parent_key, Value());
  if (id.is_null()) return d;
  const schema::Entity* ce = ctx.catalog.Find(child);
  bool has = ce != nullptr && ce->FindField(parent_key) != nullptr;
  // Relationship.get takes contact_id for both sides, unless a side is named.
  if (child == "Relationship" && parent == "Contact") {
    has = !given.contains("contact_id_a") && !given.contains("contact_id_b");
  }
  if (has) d[parent_key] = id;
  if (child != "Contact" && ce != nullptr && ce->FindField("entity_id") != nullptr) {
    d["entity_id"] = id;
    if (ce->FindField("entity_table") != nullptr) d["entity_table"] = "civicrm_" + SnakeCase(parent);
  }
  d["sequential"] = 1;
  return d;
}

Status ChildError(const std::string& entity, const std::string& action, const Status& s) {
  Value details = ErrorDetails(s);
  if (!details.contains("error_code")) details["error_code"] = "chained_api_failed";
  return ErrorWithDetails(s.code(),
                          "Error in call to " + entity + "_" + action + " : " + std::string(s.message()),
                          details);
}

// A child that answered with an error body (getsingle's "Expected one ...").
Status ChildErrorBody(const std::string& entity, const std::string& action, const Value& body) {
  Value details = Value::object();
  for (const auto& [k, v] : body.items()) {
    if (k != "is_error" && k != "error_message") details[k] = v;
  }
  return ChildError(entity, action,
                    ErrorWithDetails(absl::StatusCode::kInvalidArgument,
                                     api::ValueAsText(body.value("error_message", Value())), details));
}

bool IsErrorBody(const Value& v) {
  return v.is_object() && v.contains("is_error") && (v["is_error"] == 1 || v["is_error"] == true);
}

StatusOr<Value> RunChild(ActionContext& ctx, const std::string& parent, const std::string& parent_action,
                         const ChainKey& chain, const Value& spec, Value& row) {
  std::string entity = api::CanonicalEntityName(chain.entity);
  std::string action = chain.action.empty() ? parent_action : AsciiLower(chain.action);
  std::vector<Value> calls;
  if (spec.is_array()) {
    for (const Value& c : spec) calls.push_back(c.is_object() ? c : Value::object());
  } else {
    calls.push_back(spec.is_object() ? spec : Value::object());
  }
  Value results = Value::array();
  for (const Value& given : calls) {
    Value params = ChildDefaults(ctx, parent, entity, row, given);
    for (const auto& [k, v] : given.items()) params[k] = v;
    params = Substitute(params, row);
    auto result = RunV3(ctx, entity, action, std::move(params));
    if (!result.ok()) return ChildError(entity, action, result.status());
    if (IsErrorBody(*result)) return ChildErrorBody(entity, action, *result);
    results.push_back(std::move(*result));
  }
  return spec.is_array() ? results : results[0];
}

}  // namespace

api::ActionHandler WithChains(std::string entity, std::string action, api::ActionHandler handler) {
  return [entity, action, handler](ActionContext& ctx) -> StatusOr<Value> {
    std::vector<std::pair<std::string, ChainKey>> chains;
    for (const auto& [key, value] : Members(ctx.params)) {
      if (auto chain = ParseChainKey(key, value)) chains.emplace_back(key, *chain);
    }
    KITH_ASSIGN_OR_RETURN(Value result, handler(ctx));
    if (chains.empty() || !result.is_object() || !result.contains("values")) return result;
    Value& values = result["values"];
    if (!values.is_object() && !values.is_array()) return result;
    for (Value& row : values) {
      if (!row.is_object()) continue;
      for (const auto& [key, chain] : chains) {
        KITH_ASSIGN_OR_RETURN(row[key], RunChild(ctx, entity, action, chain, ctx.params[key], row));
      }
    }
    return result;
  };
}

}  // namespace kith::entities::v3
