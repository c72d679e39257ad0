// CiviCRM's CRM_Utils_String::munge, as its REST layers apply it to entity
// and action names: each run of characters other than ASCII letters, digits
// and '_' becomes one '_'. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kith::wire {

// Whether Munge keeps `c` as it is: an ASCII letter, digit or '_'.
inline bool MungeKeeps(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string Munge(std::string_view s);

}  // namespace kith::wire
