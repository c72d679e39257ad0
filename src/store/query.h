// Query: a structured description of a read, built by the API core and
// turned into SQL only inside store/. Field references are paths resolved
// against the schema:
//   "last_name"                      a column of the queried entity
//   "email_primary.email"            through a ReverseJoin of the entity
//   "address_primary.country_id.name" through a foreign key
//   "gender_id:label", "...:name"    the option label/name of a pseudoconstant
//   "e.email"                        a column of the explicit Join aliased "e"
//   "COUNT(id)", "COUNT(DISTINCT x)" in select/order_by: an aggregate (also
//                                    SUM, MIN, MAX, AVG) of a path, for group_by
// Values are always bound as parameters, never pasted into SQL text; aliases
// of explicit joins are replaced by generated ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/value.h"

namespace kith::store {

enum class Op {
  kEq, kNe, kLt, kGt, kLe, kGe,
  kLike, kNotLike,
  kIn, kNotIn,
  kBetween, kNotBetween,
  kIsNull, kIsNotNull,
  kIsEmpty, kIsNotEmpty,      // NULL or '' (and 0 for numbers is not empty)
  kContains, kNotContains,    // serialized multi-value contains one value; strings: substring
  kRegexp, kNotRegexp,
};

struct Query;

// A node of a WHERE tree. Leaf: `field op value`, or `field IN (subquery)`
// when `subquery` is set (op kIn/kNotIn). Groups: kAnd/kOr of `children`,
// kNot of its single child. An empty kAnd is "true".
struct Condition {
  enum class Kind { kLeaf, kAnd, kOr, kNot };
  Kind kind = Kind::kAnd;
  std::string field;
  Op op = Op::kEq;
  Value value;  // scalar, or array for IN/BETWEEN
  // When set, the leaf compares `field` with this path instead of `value`
  // (explicit join conditions: "e.contact_id = id").
  std::string value_path;
  std::shared_ptr<const Query> subquery;  // selects exactly one path
  std::vector<Condition> children;

  static Condition Leaf(std::string field, Op op, Value value = nullptr);
  static Condition Compare(std::string field, Op op, std::string other_path);
  static Condition InQuery(std::string field, Query subquery, bool negate = false);
  static Condition And(std::vector<Condition> children = {});
  static Condition Or(std::vector<Condition> children);
  static Condition Not(Condition child);
  bool IsTrue() const { return kind == Kind::kAnd && children.empty(); }
};

struct OrderBy {
  std::string field;
  bool descending = false;
};

// An explicit join: rows of `entity` matching `on`, whose paths are reached
// as "<alias>.<path>". `required`: INNER JOIN (rows without a match are
// dropped); otherwise LEFT JOIN. In `on`, the join's own fields are named
// directly ("e.contact_id"); a longer path through it is resolved only after
// the join, in select/where/order.
struct ExplicitJoin {
  std::string entity;
  std::string alias;  // a name, not SQL: the builder generates its own
  bool required = false;
  Condition on = Condition::And();
};

// A select list kept across queries by whoever made it (a read plan kept per
// catalog and thread): its paths never change once made, and its number is
// its own for the process's life, so that a query can name it instead of
// copying it, and the store can know it by that number instead of by the
// text of some fifty paths.
class KeptSelect {
 public:
  explicit KeptSelect(std::vector<std::string> paths);
  const std::vector<std::string>& paths() const { return paths_; }
  uint64_t number() const { return number_; }
  // Whether a path is an aggregate ("COUNT(id)").
  bool aggregates() const { return aggregates_; }

 private:
  std::vector<std::string> paths_;
  uint64_t number_;
  bool aggregates_;
};

struct Query {
  std::string entity;               // schema entity name ("Contact")
  std::vector<std::string> select;  // paths; rows are keyed by these strings
  // When set, the select list instead of `select` (left empty).
  std::shared_ptr<const KeptSelect> kept_select;
  Condition where = Condition::And();
  std::vector<OrderBy> order_by;
  int64_t limit = 0;   // 0: no limit
  int64_t offset = 0;
  bool distinct = false;
  std::vector<ExplicitJoin> joins;    // explicit joins, in order
  std::vector<std::string> group_by;  // paths
  // Conditions on the grouped rows (with group_by): leaf fields are grouped
  // paths or aggregates as in select ("COUNT(id)").
  Condition having = Condition::And();

  // The paths selected: kept_select's when set, else `select`.
  const std::vector<std::string>& SelectedPaths() const {
    return kept_select != nullptr ? kept_select->paths() : select;
  }
};

// Whether `path` names a column of the queried entity itself: no join,
// suffix or aggregate ("last_name", not "email_primary.email").
bool IsPlainPath(std::string_view path);

// Whether no path appears twice in `paths` (a select list whose rows can be
// built without a search for an existing key).
bool NoRepeats(const std::vector<std::string>& paths);

// Member `at` of a row that Transaction::Select returned for `query`: rows
// hold the selected paths in select order, one member each, so by position;
// by name (its path) when a row's members do not line up with them.
const Value& SelectedColumn(const Value& row, const Query& query, size_t at);

}  // namespace kith::store
