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

// A string in the compact form (quoted, escaped) appended to `out`: for
// writers that walk a document of their own shape.
void AppendJsonString(std::string& out, const std::string& s);

// JSON_PRETTY_PRINT form: 4-space indentation, "key": value.
std::string ToJsonPretty(const Value& v);

}  // namespace kith::wire
