// FindColumn: a key of a large object (a whole row of fifty columns) found
// without a linear search each time.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/value.h"

namespace kith {

// The value at `key` in object `row` (nullptr when absent or `row` is no
// object). Rows of one entity list their columns in one order, so the
// position where this key (by the address of its text: a literal, a
// template's token) was found last is tried first, then every key.
inline const Value* FindColumn(const Value& row, std::string_view key) {
  if (!row.is_object()) return nullptr;
  struct Hint {
    const char* key = nullptr;
    size_t position = 0;
  };
  thread_local Hint hints[64];
  Hint& hint = hints[(reinterpret_cast<uintptr_t>(key.data()) >> 3) & 63];
  const auto& items = row.get_ref<const Value::object_t&>();
  if (hint.key == key.data() && hint.position < items.size() && items.begin()[hint.position].first == key) {
    return &items.begin()[hint.position].second;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (items.begin()[i].first == key) {
      hint = {key.data(), i};
      return &items.begin()[i].second;
    }
  }
  return nullptr;
}

// Empties `row` (an object's members, an array's items) in place: cheaper
// than its destructor, which first moves every member to a vector of its
// own (so that deep trees are freed without recursion) and is, for the flat
// rows each created contact leaves behind, a few percent of an import.
inline void EmptyInPlace(Value& row) {
  if (row.is_object()) row.get_ref<Value::object_t&>().clear();
  if (row.is_array()) row.get_ref<Value::array_t&>().clear();
}

// The value at `key` in `row`, or null.
inline const Value& ColumnOr(const Value& row, std::string_view key) {
  static const Value kNull;
  const Value* v = FindColumn(row, key);
  return v == nullptr ? kNull : *v;
}

// row[key] = value for an object `row`, with the key's text copied once (and
// only when new): operator[] of a C string builds a std::string to search with.
inline void SetColumn(Value& row, std::string_view key, Value value) {
  auto& items = row.get_ref<Value::object_t&>();
  for (auto& item : items) {
    if (item.first == key) {
      item.second = std::move(value);
      return;
    }
  }
  items.Container::emplace_back(std::string(key), std::move(value));
}

}  // namespace kith
