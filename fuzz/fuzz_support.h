// Helpers shared by the fuzz targets: small limits (so that the fuzzer
// reaches them), the input's first byte as a mode, and a failure that names
// the property an input broke.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/request_limits.h"
#include "base/value.h"

namespace kith::fuzz {

// Limits small enough to be reached by short inputs.
inline RequestLimits SmallLimits() {
  RequestLimits limits;
  limits.max_nesting_depth = 12;
  limits.max_parameters = 300;
  limits.max_multi_calls = 10;
  limits.max_chain_depth = 3;
  limits.max_sub_calls = 40;
  limits.max_rows = 2000;
  limits.max_request_seconds = 5;
  limits.max_where_conditions = 50;
  return limits;
}

// The input as text.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// An input: its first byte a mode (0 for an empty input), the rest text.
struct Input {
  uint8_t mode = 0;
  std::string_view text;
};
inline Input ModeAndText(const uint8_t* data, size_t size) {
  std::string_view text = AsText(data, size);
  if (text.empty()) return {};
  return {static_cast<uint8_t>(text.front()), text.substr(1)};
}

// Levels of arrays and objects in `v` (a scalar: 0).
inline int Depth(const Value& v) {
  if (!v.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : v) {
    int d = Depth(child);
    if (d > deepest) deepest = d;
  }
  return deepest + 1;
}

// Aborts naming the broken property (the fuzzer and the replay report it).
[[noreturn]] inline void Fail(const char* property, std::string_view detail = {}) {
  std::fprintf(stderr, "property broken: %s\n%.*s\n", property, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace kith::fuzz
