#include "store/query.h"

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

}  // namespace kith::store
