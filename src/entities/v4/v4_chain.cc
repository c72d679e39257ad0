// APIv4 chaining (shared/PROTOCOL.md C.3.4): `chain` {"name": [Entity,
// action, params, index?]} runs once per result row, after "$field"
// strings in it are replaced from the row; its values go into row[name].
// Chained calls go through the dispatcher inside the parent's transaction,
// so their own permissions are checked and a failure undoes the whole call.
#include "base/error_details.h"
#include "base/strings.h"
#include "entities/v4/v4_common.h"

namespace kith::entities::v4 {

using api::ActionContext;

namespace {

// "$id", "$email_primary.id" (a key with dots), "$address.city" (nested).
std::optional<Value> Lookup(const Value& row, const std::string& name) {
  if (row.contains(name)) return row[name];
  const Value* at = &row;
  for (std::string_view part : Split(name, '.')) {
    std::string key(part);
    if (at->is_object() && at->contains(key)) {
      at = &(*at)[key];
    } else if (at->is_array() && ParseInt64(key) && *ParseInt64(key) >= 0 &&
               static_cast<size_t>(*ParseInt64(key)) < at->size()) {
      at = &(*at)[static_cast<size_t>(*ParseInt64(key))];
    } else {
      return std::nullopt;
    }
  }
  return *at;
}

Value Substitute(const Value& v, const Value& row) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() > 1 && s[0] == '$') {
      if (std::optional<Value> found = Lookup(row, s.substr(1))) return *found;
    }
    return v;
  }
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& x : v) out.push_back(Substitute(x, row));
    return out;
  }
  if (v.is_object()) {
    Value out = Value::object();
    for (const auto& [k, x] : v.items()) out[k] = Substitute(x, row);
    return out;
  }
  return v;
}

std::string KeyText(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// The chained answer as a plain value, shaped by its index as the top-level
// `index` shapes an answer's values.
Value Shape(const Value& values, const Value& index) {
  if (index.is_null() || !values.is_array()) return values;
  if (index.is_number_integer()) {
    int64_t at = index.get<int64_t>();
    if (at < 0) at += static_cast<int64_t>(values.size());
    if (at < 0 || at >= static_cast<int64_t>(values.size())) return Value();
    return values[static_cast<size_t>(at)];
  }
  if (!index.is_string()) return values;
  Value out = Value::object();
  for (const Value& row : values) {
    std::string key = row.is_object() && row.contains(index.get<std::string>())
                          ? KeyText(row[index.get<std::string>()])
                          : std::to_string(out.size());
    out[key] = row;
  }
  return out;
}

}  // namespace

Status RunChains(ActionContext& ctx, const Value& params, Value& values) {
  if (!params.contains("chain")) return Status();
  const Value& chain = params["chain"];
  if (chain.is_array() && chain.empty()) return Status();
  if (!chain.is_object()) {
    return InvalidArgument("chain must be an object {\"name\": [entity, action, params, index?]}",
                           {{"error_field", "chain"}});
  }
  for (const auto& [name, spec] : chain.items()) {
    if (!spec.is_array() || spec.size() < 2 || spec.size() > 4) {
      return InvalidArgument("chain " + name + " must be [entity, action, params, index?]",
                             {{"error_field", "chain"}});
    }
  }
  if (!values.is_array()) return Status();
  for (Value& row : values) {
    if (!row.is_object()) continue;
    for (const auto& [name, spec] : chain.items()) {
      Value entity = Substitute(spec[0], row);
      Value action = Substitute(spec[1], row);
      Value sub = spec.size() > 2 ? Substitute(spec[2], row) : Value::object();
      if (!entity.is_string() || !action.is_string() || !(sub.is_object() || (sub.is_array() && sub.empty()))) {
        return InvalidArgument("chain " + name + " must be [entity, action, params, index?]",
                               {{"error_field", "chain"}});
      }
      if (sub.is_array()) sub = Value::object();
      api::ApiCall call{entity.get<std::string>(), action.get<std::string>(), sub, 4};
      if (ctx.dispatcher.registry().Find(4, call.entity, call.action) == nullptr) {
        return NotFound("Api " + call.entity + " " + call.action + " version 4 does not exist.");
      }
      KITH_ASSIGN_OR_RETURN(Value result, ctx.dispatcher.RunIn(ctx.txn, call, ctx.caller));
      row[name] = Shape(result.value("values", Value::array()), spec.size() > 3 ? spec[3] : Value());
    }
  }
  return Status();
}

}  // namespace kith::entities::v4
