// ParseJson: JSON text from a request into a Value, within limits and in time
// linear in the text. nlohmann's own DOM parse checks each new object key
// against the earlier ones one by one (ordered_json keeps keys in a vector),
// which is quadratic in an object's size; and a tree nested without bound
// cannot be copied or rendered by the recursive code that handles Values.
// Duplicate keys keep their first position and take the last value, as PHP's
// json_decode and ordered_json do.
#pragma once

#include <initializer_list>
#include <string_view>

#include "base/request_limits.h"
#include "base/status.h"
#include "base/value.h"

namespace kith {

// Errors (`what` names the parameter in the message, e.g. "json"):
// kInvalidArgument "<what> is not valid JSON" or "<what> nests deeper than N
// levels"; TooLarge "<what> has an object of more than N members".
StatusOr<Value> ParseJson(std::string_view text, std::string_view what, int64_t max_depth,
                          int64_t max_members);

// dest[key] = value for every member of the object `src` whose key is not in
// `skip` (dest an object or null), in time linear in both objects:
// ordered_json's own operator[] looks for a key member by member.
void MergeMembers(Value& dest, const Value& src, std::initializer_list<std::string_view> skip = {});

}  // namespace kith
