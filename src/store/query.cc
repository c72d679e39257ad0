#include "store/query.h"

#include <algorithm>
#include <atomic>

namespace kith::store {

Condition Condition::Leaf(std::string field, Op op, Value value) {
  Condition c;
  c.kind = Kind::kLeaf;
  c.field = std::move(field);
  c.op = op;
  c.value = std::move(value);
  return c;
}

Condition Condition::Compare(std::string field, Op op, std::string other_path) {
  Condition c = Leaf(std::move(field), op);
  c.value_path = std::move(other_path);
  return c;
}

Condition Condition::InQuery(std::string field, Query subquery, bool negate) {
  Condition c = Leaf(std::move(field), negate ? Op::kNotIn : Op::kIn);
  c.subquery = std::make_shared<const Query>(std::move(subquery));
  return c;
}

Condition Condition::And(std::vector<Condition> children) {
  Condition c;
  c.kind = Kind::kAnd;
  c.children = std::move(children);
  return c;
}

Condition Condition::Or(std::vector<Condition> children) {
  Condition c;
  c.kind = Kind::kOr;
  c.children = std::move(children);
  return c;
}

Condition Condition::Not(Condition child) {
  Condition c;
  c.kind = Kind::kNot;
  c.children.push_back(std::move(child));
  return c;
}

KeptSelect::KeptSelect(std::vector<std::string> paths) : paths_(std::move(paths)) {
  static std::atomic<uint64_t> next{1};
  number_ = next.fetch_add(1, std::memory_order_relaxed);
  aggregates_ = std::any_of(paths_.begin(), paths_.end(),
                            [](const std::string& p) { return p.find('(') != std::string::npos; });
}

bool IsPlainPath(std::string_view path) {
  // A loop, not find_first_of: that calls memchr once per character.
  return std::none_of(path.begin(), path.end(),
                      [](char c) { return c == '.' || c == ':' || c == '(' || c == ')'; });
}

bool NoRepeats(const std::vector<std::string>& paths) {
  std::vector<std::string_view> sorted(paths.begin(), paths.end());
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
}

const Value& SelectedColumn(const Value& row, const Query& query, size_t at) {
  const auto& members = row.get_ref<const Value::object_t&>();
  const std::vector<std::string>& paths = query.SelectedPaths();
  if (members.size() == paths.size() && at < members.size()) {
    return (members.begin() + static_cast<std::ptrdiff_t>(at))->second;
  }
  return row[paths[at]];
}

}  // namespace kith::store
