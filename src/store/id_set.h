// IdSet: a set of row ids kept as ranges of consecutive ids. A transaction
// remembers every id it inserted (store/txn_memo.h); those come one after
// another, so an import of a million contacts keeps one range instead of a
// million hash nodes. Scattered ids cost one range each.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>

namespace kith::store {

class IdSet {
 public:
  void insert(int64_t id) {
    if (!ranges_.empty()) {
      auto last = std::prev(ranges_.end());
      if (id == last->second + 1) {  // the next id: the usual case
        last->second = id;
        return;
      }
    }
    auto next = ranges_.upper_bound(id);  // the first range starting after id
    if (next != ranges_.begin()) {
      auto prev = std::prev(next);
      if (id <= prev->second) return;  // already in
      if (id == prev->second + 1) {
        prev->second = id;
        if (next != ranges_.end() && next->first == id + 1) {  // the gap closed
          prev->second = next->second;
          ranges_.erase(next);
        }
        return;
      }
    }
    if (next != ranges_.end() && next->first == id + 1) {
      int64_t last = next->second;
      ranges_.erase(next);
      ranges_.emplace(id, last);
      return;
    }
    ranges_.emplace(id, id);
  }

  bool contains(int64_t id) const {
    auto next = ranges_.upper_bound(id);
    return next != ranges_.begin() && std::prev(next)->second >= id;
  }

  size_t ranges() const { return ranges_.size(); }

 private:
  std::map<int64_t, int64_t> ranges_;  // first id -> last id, both included
};

}  // namespace kith::store
