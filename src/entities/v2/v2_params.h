// What every 3.2-dialect (v2) action skips among its request fields, and
// the ids its calls name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/value.h"

namespace kith::entities::v2 {

// The request fields that are credentials or envelope switches (q, json,
// key, api_key, PHPSESSID, pass, fnName, version, debug, sequential,
// prettyprint, callback, entity, action): never data of the call.
bool IsV2EnvelopeParam(const std::string& key);

// The scalar values of a parameter: lists and bracket objects are flattened.
void Flatten(const Value& v, std::vector<Value>& out);

// A positive id; kInvalidArgument "<field> is not valid: ..." otherwise.
StatusOr<int64_t> IdValue(const Value& v, const std::string& field);

// Every id in params whose name starts with `prefix` (3.2 accepts
// contact_id, contact_id.2, contact_id_2, ...), in request order.
StatusOr<std::vector<int64_t>> PrefixedIds(const Value& params, const std::string& prefix);

}  // namespace kith::entities::v2
