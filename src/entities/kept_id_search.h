// What a get by id kept per thread (3.2's contact search, APIv3's Contact
// get) needs to reuse its built query with the next id: whether the given id
// is one the kept query can take, and the one leaf of its where clause that
// compares the id.
#pragma once

#include <algorithm>
#include <string>

#include "base/value.h"
#include "store/query.h"

namespace kith::entities {

// `id` when it is an integer, or digits as a client sends them (no sign, no
// leading zero, fewer than 19 so that they fit an int64); nullptr otherwise.
inline const Value* KeptSearchId(const Value* id) {
  if (id == nullptr || id->is_number_integer()) return id;
  if (!id->is_string()) return nullptr;
  const std::string& text = id->get_ref<const std::string&>();
  bool digits = !text.empty() && text.size() < 19 && text[0] != '0' &&
                std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  return digits ? id : nullptr;
}

// The leaf of `c` that compares the field "id" with `id`; `found` counts
// every such leaf, so that a caller reuses the query only when there is one.
inline store::Condition* IdLeaf(store::Condition& c, const Value& id, int& found) {
  if (c.kind == store::Condition::Kind::kLeaf) {
    bool match = c.field == "id" && c.op == store::Op::kEq && c.value_path.empty() && !c.subquery &&
                 c.value == id && c.value.type() == id.type();
    found += match;
    return match ? &c : nullptr;
  }
  store::Condition* leaf = nullptr;
  for (store::Condition& child : c.children) {
    if (store::Condition* l = IdLeaf(child, id, found)) leaf = l;
  }
  return leaf;
}

}  // namespace kith::entities
