// Members: an object's keys and values, iterated as they are stored.
// Value::items() makes two strings for its iterators' proxies and steps
// through them out of line: in the loops that every row of a bulk write runs
// through (some ten a contact) that was thousands of instructions a row.
#pragma once

#include <string_view>

#include "base/value.h"

namespace kith {

// The members of `v`, in order; none when `v` is not an object (items()
// gives an array's elements under their indexes instead: use it where an
// array may come and matters).
inline const Value::object_t& Members(const Value& v) {
  static const Value::object_t kNone;
  return v.is_object() ? *v.get_ptr<const Value::object_t*>() : kNone;
}

// The member `key` of `v`, or null (absent, or `v` is not an object),
// found by view: Value::find() makes a std::string of the key each time.
inline const Value* FindMember(const Value& v, std::string_view key) {
  for (const auto& [name, value] : Members(v)) {
    if (name == key) return &value;
  }
  return nullptr;
}

}  // namespace kith
