// JSON rendering of API results as PHP's json_encode does with
// JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE: '/' and non-ASCII text are
// written as-is, control characters as \uXXXX (or \n, \t, ...). Invalid UTF-8
// in strings is replaced by U+FFFD instead of failing. Object keys keep their
// insertion order. Never throws. Thread-safe (pure functions).
#pragma once

#include <string>

#include "base/value.h"

namespace kith::wire {

// Compact form: {"is_error":0,"values":[]}.
std::string ToJson(const Value& v);

// The compact form appended to `out` (a streamed answer's rows).
void AppendJson(std::string& out, const Value& v);

// A writer of some string values of its own: writes `s` to `out` and
// answers true, or answers false to have it written as any string.
using StringValueWriter = bool (*)(std::string& out, const std::string& s);

// The compact form appended to `out`, string values (not keys) offered to
// `strings` first: a dialect's answer written without a rewritten copy.
void AppendJson(std::string& out, const Value& v, StringValueWriter strings);

// JSON_PRETTY_PRINT form: 4-space indentation, "key": value.
std::string ToJsonPretty(const Value& v);

}  // namespace kith::wire
