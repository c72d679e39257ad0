// Failing fast in the benchmark programs: a bench that cannot set up its
// data has nothing to measure, so any error ends the program with its reason.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <errno.h>
#include <string>
#include <utility>

#include "base/status.h"

namespace kith::bench {

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

template <typename T>
T Check(StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(std::string(what) + ": " + std::string(v.status().message()));
  return std::move(*v);
}

inline void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + std::string(s.message()));
}

}  // namespace kith::bench
