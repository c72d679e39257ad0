#include "store/internal/select_shapes.h"

#include <algorithm>
#include <iterator>
#include <span>
#include <string>
#include <vector>

namespace kith::store::internal {
namespace {

// A query whose SQL text follows from its shape alone: paths selected (a
// kept select list known by its number) and ordered by (the joins they need follow from the paths), and a WHERE that
// is one comparison or an AND of comparisons of a plain column with a scalar
// (=, <>, <, >, <=, >=). Its parameters are then those of its joins (fixed
// by the paths: a reverse join's conditions, an option group's name), the
// comparisons' values in order, then LIMIT and OFFSET as the dialect binds
// them; SelectShapes::Select checks them against the builder before it
// keeps a shape.
// Writes the shape's key into `key` and its comparisons' values (then LIMIT
// and OFFSET's) into `binds`; false when the query is not of such a shape.
bool ShapeOf(const Query& query, Dialect dialect, std::string& key, std::vector<Value>& binds) {
  key.clear();
  binds.clear();
  if (!query.joins.empty() || !query.group_by.empty() || !query.having.IsTrue() ||
      query.distinct) {
    return false;
  }
  std::span<const Condition> leaves;
  if (query.where.kind == Condition::Kind::kLeaf) {
    leaves = std::span<const Condition>(&query.where, 1);
  } else if (query.where.kind == Condition::Kind::kAnd) {
    leaves = query.where.children;
  } else {
    return false;
  }
  binds.reserve(leaves.size() + 2);
  // Sized once: a whole record's key is some fifty paths long.
  size_t size = query.entity.size() + 8 * leaves.size() + 32;
  for (const Condition& c : leaves) size += c.field.size();
  if (query.kept_select == nullptr) {
    for (const std::string& path : query.select) size += path.size() + 1;
  }
  for (const store::OrderBy& o : query.order_by) size += o.field.size() + 1;
  key.reserve(size);
  key += query.entity;
  for (const Condition& c : leaves) {
    if (c.kind != Condition::Kind::kLeaf || !c.value_path.empty() || c.subquery != nullptr ||
        !IsPlainPath(c.field) || c.value.is_null() || c.value.is_structured()) {
      return false;
    }
    if (c.op != Op::kEq && c.op != Op::kNe && c.op != Op::kLt && c.op != Op::kGt &&
        c.op != Op::kLe && c.op != Op::kGe) {
      return false;
    }
    key += '\x1e';
    key += c.field;
    key += static_cast<char>('0' + static_cast<int>(c.op));
    key += static_cast<char>('a' + static_cast<int>(c.value.type()));
    if (IsTextNoNumber(c.value)) key += '~';  // (its SQL may differ: BuildSelect)
    binds.push_back(BindValue(c.value));
  }
  key += '\x1d';
  if (const KeptSelect* kept = query.kept_select.get()) {
    // Known by its number: the same number is the same paths.
    if (kept->aggregates()) return false;
    const uint64_t number = kept->number();
    key += '\x1c';
    key.append(reinterpret_cast<const char*>(&number), sizeof number);
  }
  for (const std::string& path : query.select) {
    if (path.find('(') != std::string::npos) return false;  // an aggregate
    key += '\x1f';
    key += path;
  }
  key += '\x1d';
  for (const store::OrderBy& o : query.order_by) {
    if (o.field.find('(') != std::string::npos) return false;
    key += o.descending ? '-' : '+';
    key += o.field;
  }
  key += '\x1d';
  key += LimitClause(query, dialect, &binds);
  return true;
}

}  // namespace

StatusOr<ShapedSelect> SelectShapes::Select(const std::shared_ptr<const schema::Catalog>& catalog,
                                            const Query& query, Dialect dialect) {
  // The key is written into this thread's buffer: every get by id makes one
  // (some hundred bytes), and nothing below makes another.
  thread_local std::string key;
  // The statement this thread ran last, with what it follows from (a
  // statement follows from its catalog, dialect and shape alone): a thread
  // answering the same get again finds it without the lock and the hash.
  // The catalog is held, so that its address is not reused meanwhile.
  struct LastShape {
    std::shared_ptr<const schema::Catalog> catalog;
    Dialect dialect = Dialect::kSqlite;
    std::string key;
    std::shared_ptr<const SqlStatement> statement;
  };
  thread_local LastShape last;
  std::vector<Value> shape_binds;
  const bool shaped = ShapeOf(query, dialect, key, shape_binds);
  std::shared_ptr<const SqlStatement> kept;
  if (shaped && last.statement != nullptr && last.catalog == catalog && last.dialect == dialect &&
      last.key == key) {
    kept = last.statement;
  } else if (shaped) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (catalog == catalog_) {
        auto it = shapes_.find(key);
        if (it != shapes_.end()) kept = it->second;
      }
    }
    if (kept != nullptr) last = LastShape{catalog, dialect, key, kept};
  }
  if (kept == nullptr) {
    KITH_ASSIGN_OR_RETURN(SqlStatement built, BuildSelect(*catalog, query, dialect));
    // Kept only when its parameters end with the shape's, so that they can
    // be swapped; what comes before them is the joins' and stays.
    if (!shaped || built.binds.size() < shape_binds.size() ||
        !std::equal(shape_binds.begin(), shape_binds.end(),
                    built.binds.end() - static_cast<std::ptrdiff_t>(shape_binds.size()))) {
      std::vector<Value> binds = std::move(built.binds);
      return ShapedSelect{std::make_shared<const SqlStatement>(std::move(built)), std::move(binds)};
    }
    built.binds.resize(built.binds.size() - shape_binds.size());
    kept = std::make_shared<const SqlStatement>(std::move(built));
    std::lock_guard<std::mutex> lock(mutex_);
    if (catalog != catalog_ || shapes_.size() > 512) {
      shapes_.clear();
      catalog_ = catalog;
    }
    shapes_[key] = kept;
    last = LastShape{catalog, dialect, key, kept};
  }
  std::vector<Value> binds;
  binds.reserve(kept->binds.size() + shape_binds.size());
  binds = kept->binds;  // the joins' parameters
  binds.insert(binds.end(), std::make_move_iterator(shape_binds.begin()),
               std::make_move_iterator(shape_binds.end()));
  return ShapedSelect{std::move(kept), std::move(binds), true};
}

}  // namespace kith::store::internal
