#include "entities/v2/v2_params.h"

#include <set>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::entities::v2 {

bool IsV2EnvelopeParam(const std::string& key) {
  static const std::set<std::string> envelope = {
      "q",       "json",  "key",        "api_key",     "PHPSESSID", "pass",   "fnName",
      "version", "debug", "sequential", "prettyprint", "callback",  "entity", "action"};
  return envelope.count(key) > 0;
}

// The scalar values of a parameter: lists and bracket objects are flattened.
void Flatten(const Value& v, std::vector<Value>& out) {
  if (v.is_array() || v.is_object()) {
    for (const auto& item : v.items()) Flatten(item.value(), out);
  } else {
    out.push_back(v);
  }
}

StatusOr<int64_t> IdValue(const Value& v, const std::string& field) {
  std::string text(TrimAscii(api::ValueAsText(v)));
  auto id = ParseInt64(text);
  if (!id || *id <= 0) {
    return InvalidArgument(field + " is not valid: " + text,
                           {{"error_code", 2001}, {"error_field", field}});
  }
  return *id;
}

// Every id in params whose name starts with `prefix` (3.2 accepts
// contact_id, contact_id.2, contact_id_2, ...), in request order.
StatusOr<std::vector<int64_t>> PrefixedIds(const Value& params, const std::string& prefix) {
  std::vector<int64_t> ids;
  for (const auto& [key, value] : params.items()) {
    if (key.rfind(prefix, 0) != 0) continue;
    std::vector<Value> values;
    Flatten(value, values);
    for (const Value& v : values) {
      KITH_ASSIGN_OR_RETURN(int64_t id, IdValue(v, prefix));
      ids.push_back(id);
    }
  }
  return ids;
}

}  // namespace kith::entities::v2
