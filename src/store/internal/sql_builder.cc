#include "store/internal/sql_builder.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>

#include "base/error_details.h"
#include "base/strings.h"
#include "store/sql_expr.h"
#include "base/value_members.h"

namespace kith::store::internal {

Value BindValue(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return v;
}

namespace {

using schema::Entity;
using schema::Field;
using schema::FieldType;

bool IsTextType(FieldType t) {
  return t == FieldType::kString || t == FieldType::kText || t == FieldType::kDate ||
         t == FieldType::kDateTime;
}

// On PostgreSQL a text column that is not unique is indexed, compared and
// ordered by its key: its text lowered as citext lowers it (the database's
// own collation) and compared byte by byte, as citext compares under "C".
// The same answers as comparing the citext column itself, but an index of
// keys compares plain text: citext lowers both sides of every comparison,
// a quarter of the server's work when a bulk load inserts index entries.
// Unique columns keep their citext indexes (the unique constraints).
bool Keyed(const Field& f, Dialect dialect) {
  return dialect == Dialect::kPostgres && IsTextType(f.type) && !f.unique;
}

std::string TextKey(const std::string& expr) {
  return "(lower(CAST(" + expr + " AS TEXT) COLLATE \"default\") COLLATE \"C\")";
}

// A selected text column as the result carries it. PostgreSQL: read as
// text, the same bytes: citext's output function is not one of the
// server's own, so each execution of a statement looked it up in the
// catalog for each citext column (~1.8k instructions a column, a third of
// the server's work for a whole contact by id). Not where the select list
// itself is compared (DISTINCT, GROUP BY): there it stays citext.
std::string OutputColumn(const std::string& expr, const Field* field, Dialect dialect,
                         bool compared) {
  if (dialect != Dialect::kPostgres || compared || field == nullptr || !IsTextType(field->type) ||
      expr.empty() || !std::all_of(expr.begin(), expr.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.';
      })) {
    return expr;
  }
  return "CAST(" + expr + " AS TEXT)";
}

bool KeyedColumn(const Entity& entity, const std::string& column, Dialect dialect) {
  const Field* f = entity.FindField(column);
  return f != nullptr && Keyed(*f, dialect);
}

// What a (non-unique) index of `columns` indexes: keyed columns by key.
std::string IndexedColumns(const Entity& entity, const std::vector<std::string>& columns,
                           Dialect dialect) {
  std::vector<std::string> parts;
  for (const std::string& c : columns) parts.push_back(KeyedColumn(entity, c, dialect) ? TextKey(c) : c);
  return Join(parts, ", ");
}

// The name of a (non-unique) index of `columns`: a keyed column is named
// lower_<column>, so that an index made before keys (`by_key` false: the
// column's own name) is told apart and replaced.
std::string IndexName(const Entity& entity, const std::vector<std::string>& columns, Dialect dialect,
                      bool by_key = true) {
  std::vector<std::string> parts;
  for (const std::string& c : columns) {
    parts.push_back(by_key && KeyedColumn(entity, c, dialect) ? "lower_" + c : c);
  }
  return Identifier("idx_" + entity.table + "_" + Join(parts, "_"), dialect);
}

// A resolved path: the SQL expression naming it and its type.
struct Column {
  std::string expr;
  FieldType type = FieldType::kString;
  const Field* field = nullptr;  // null for computed columns (labels)
};

std::string SqlLiteral(const Value& v);

// The conjuncts of `where` (nested ANDs flattened); an OR or NOT is one.
void Conjuncts(const Condition& where, std::vector<const Condition*>& out) {
  if (where.kind == Condition::Kind::kAnd) {
    for (const Condition& child : where.children) Conjuncts(child, out);
  } else {
    out.push_back(&where);
  }
}

// Whether a top-level conjunct compares `path` in a way a NULL never passes
// (x = 1, x >= 1, x LIKE 'a%', x IN (1, 2), x IS NOT NULL ...): the rows
// then hold no NULL there, and where NULLs sort changes nothing.
bool ExcludesNull(const std::vector<const Condition*>& conjuncts, const std::string& path) {
  for (const Condition* c : conjuncts) {
    if (c->kind != Condition::Kind::kLeaf || c->field != path) continue;
    switch (c->op) {
      case Op::kEq:
      case Op::kNe: if (!c->value.is_null() || !c->value_path.empty() || c->subquery) return true; break;
      case Op::kIn: if (c->subquery || (c->value.is_array() && !c->value.empty())) return true; break;
      case Op::kLt: case Op::kGt: case Op::kLe: case Op::kGe:
      case Op::kLike: case Op::kBetween: case Op::kIsNotNull: case Op::kIsNotEmpty:
        return true;
      default: break;
    }
  }
  return false;
}

// The literal start of a LIKE pattern (backslash escapes; up to the first
// % or _), lowered, when it is printable ASCII; "" otherwise.
std::string LikePrefix(const std::string& pattern) {
  std::string prefix;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char ch = pattern[i];
    if (ch == '%' || ch == '_') break;
    if (ch == '\\') {
      if (++i == pattern.size()) return "";
      ch = pattern[i];
    }
    if (ch < 0x20 || ch > 0x7e) return "";
    prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return prefix;
}

bool IsPlainColumn(const Entity& entity, const std::string& path) {
  return IsPlainPath(path) && entity.FindField(path) != nullptr;
}

// True when `sub` (a subquery selecting one column) yields each value at
// most once: its WHERE is a conjunction of plain comparisons on its own
// columns, and the selected column with the columns fixed by `= value`
// covers a unique key. Then `id IN (sub)` equals an inner join on it
// without duplicate rows.
bool SelectsEachValueOnce(const schema::Catalog& catalog, const Query& sub) {
  const Entity* entity = catalog.Find(sub.entity);
  const std::vector<std::string>& select = sub.SelectedPaths();
  if (entity == nullptr || select.size() != 1 || !IsPlainColumn(*entity, select[0]) ||
      !sub.joins.empty() || !sub.group_by.empty() || !sub.having.IsTrue() || sub.limit > 0 ||
      sub.offset > 0) {
    return false;
  }
  std::vector<const Condition*> parts;
  Conjuncts(sub.where, parts);
  std::vector<std::string> fixed = {select[0]};
  for (const Condition* c : parts) {
    if (c->kind != Condition::Kind::kLeaf || c->subquery || !c->value_path.empty() ||
        !IsPlainColumn(*entity, c->field)) {
      return false;
    }
    if (c->op == Op::kEq && !c->value.is_null() && !c->value.is_structured()) {
      fixed.push_back(c->field);
    }
  }
  auto covered = [&](const std::vector<std::string>& key) {
    for (const std::string& col : key) {
      if (std::find(fixed.begin(), fixed.end(), col) == fixed.end()) return false;
    }
    return !key.empty();
  };
  if (covered({"id"})) return true;
  for (const Field& f : entity->fields) {
    if (f.unique && covered({f.name})) return true;
  }
  for (const auto& key : entity->unique_indexes) {
    if (covered(key)) return true;
  }
  return false;
}

// Conditions false whenever `path` is NULL (so a LEFT JOIN the path goes
// through matched): comparisons with a value, not IS NULL / IS EMPTY / NOT.
bool RejectsNull(const Condition& c) {
  if (c.kind != Condition::Kind::kLeaf || c.subquery || !c.value_path.empty()) return false;
  switch (c.op) {
    case Op::kEq: case Op::kNe: case Op::kLt: case Op::kGt: case Op::kLe: case Op::kGe:
    case Op::kLike: case Op::kContains:
      return !c.value.is_null();
    case Op::kIn:
    case Op::kBetween:
      return c.value.is_array() && !c.value.empty();
    case Op::kIsNotNull:
    case Op::kIsNotEmpty:
      return true;
    default:
      return false;
  }
}

class Builder {
 public:
  Builder(const schema::Catalog& catalog, Dialect dialect, int* alias_counter)
      : catalog_(catalog), dialect_(dialect), alias_counter_(alias_counter) {}

  Status Start(const std::string& entity_name) {
    root_ = catalog_.Find(entity_name);
    if (root_ == nullptr) return InvalidArgument("Unknown entity: " + entity_name);
    root_alias_ = NewAlias();
    return Status();
  }

  // Registers the explicit joins of a query: their aliases become path
  // prefixes, their ON conditions are built here (binds in FROM order).
  Status AddJoins(const std::vector<ExplicitJoin>& joins) {
    for (const ExplicitJoin& j : joins) {
      const Entity* target = catalog_.Find(j.entity);
      if (target == nullptr) return InvalidArgument("Unknown entity: " + j.entity);
      if (j.alias.empty() || j.alias.find_first_of(".:()") != std::string::npos ||
          joined_.count(j.alias) || root_->FindJoin(j.alias) || root_->FindField(j.alias)) {
        return InvalidArgument("Invalid join alias: " + j.alias);
      }
      std::string alias = NewAlias();
      joined_[j.alias] = {alias, target};
      std::vector<Value> outer = std::move(where_binds_);
      where_binds_.clear();
      StatusOr<std::string> on = Where(j.on);
      std::vector<Value> on_binds = std::move(where_binds_);
      where_binds_ = std::move(outer);
      if (!on.ok()) return on.status();
      joins_.push_back(std::string(j.required ? "INNER JOIN " : "LEFT JOIN ") + target->table +
                       " " + alias + " ON " + *on);
      for (Value& v : on_binds) join_binds_.push_back(std::move(v));
    }
    return Status();
  }

  // A select/order/having item: a path, or an APIv4 SQL expression
  // (store/sql_expr.h) whose string operands are bound into `binds`.
  StatusOr<Column> ResolveItem(const std::string& item, std::vector<Value>& binds,
                               bool top = false) {
    if (item.find('(') == std::string::npos) return Resolve(item);
    KITH_ASSIGN_OR_RETURN(SqlExpr e, ParseSqlExpr(item));
    if (!e.is_function()) return Resolve(item);
    return Render(e, binds, top);
  }

  // `e` in the dialect's SQL. GROUP_CONCAT (only as a whole select item,
  // `top`) gathers JSON pairs [order key, value] that FinishRows joins.
  StatusOr<Column> Render(const SqlExpr& e, std::vector<Value>& binds, bool top) {
    switch (e.kind) {
      case SqlExpr::Kind::kField: return Resolve(e.text);
      case SqlExpr::Kind::kNull: return Column{"NULL", FieldType::kString, nullptr};
      case SqlExpr::Kind::kNumber: {
        // Checked to be digits by the parser: written as a number literal.
        bool whole = e.text.find('.') == std::string::npos;
        return Column{e.text, whole ? FieldType::kInt : FieldType::kFloat, nullptr};
      }
      case SqlExpr::Kind::kString:
        binds.push_back(e.text);
        return Column{"CAST(? AS TEXT)", FieldType::kString, nullptr};
      case SqlExpr::Kind::kStar: return Column{"*", FieldType::kInt, nullptr};
      case SqlExpr::Kind::kFunction: break;
    }
    const SqlFunctionInfo* info = FindSqlFunction(e.text);
    if (info == nullptr) return UnknownPath(e.text);
    const std::string& fn = e.text;
    // Each operand with its own binds; the SQL names operand i as a marker
    // (X(i)), replaced at the end in text order so that an operand used
    // twice binds its values twice.
    std::vector<Column> args;
    std::vector<std::vector<Value>> arg_binds;
    std::vector<const SqlExpr*> operands;
    for (const SqlExpr& a : e.args) operands.push_back(&a);
    for (const SqlExpr& o : e.order_by) operands.push_back(&o);
    for (const SqlExpr* a : operands) {
      std::vector<Value> own;
      KITH_ASSIGN_OR_RETURN(Column c, Render(*a, own, false));
      args.push_back(std::move(c));
      arg_binds.push_back(std::move(own));
    }
    auto X = [](size_t i) { return "\x01" + std::to_string(i) + "\x02"; };
    auto T = [&](size_t i) { return "CAST(" + X(i) + " AS TEXT)"; };
    FieldType type = info->type;
    if (info->result == SqlResult::kFirstArg && !args.empty()) type = args[0].type;
    if (info->result == SqlResult::kSecondArg && args.size() > 1) type = args[1].type;
    bool pg = dialect_ == Dialect::kPostgres;
    size_t n = e.args.size();
    std::string sql;
    std::optional<ListColumn> list;
    if (fn == "GROUP_CONCAT") {
      if (!top) return InvalidArgument("GROUP_CONCAT can only be selected, not used inside an expression");
      std::string key = e.order_by.empty() ? "NULL" : X(n);
      sql = pg ? "CAST(json_agg(json_build_array(" + key + ", " + X(0) + ")) AS TEXT)"
               : "json_group_array(json_array(" + key + ", " + X(0) + "))";
      list = ListColumn{0, e.separator.value_or(","), e.distinct, e.order_descending};
      type = FieldType::kString;
    } else if (info->aggregate) {
      sql = fn + "(" + (e.distinct ? "DISTINCT " : "") + X(0) + ")";
      if (pg && fn == "AVG") sql = "CAST(" + sql + " AS DOUBLE PRECISION)";
    } else if (fn == "IFNULL" || fn == "COALESCE" || fn == "NULLIF") {
      std::vector<std::string> parts;
      for (size_t i = 0; i < n; ++i) parts.push_back(X(i));
      sql = (fn == "IFNULL" ? std::string("COALESCE") : fn) + "(" + Join(parts, ", ") + ")";
    } else if (fn == "GREATEST" || fn == "LEAST") {
      // NULL when any operand is, as MySQL's (SQLite's many-argument MAX
      // and MIN do so; PostgreSQL's GREATEST skips NULLs).
      std::vector<std::string> parts, nulls;
      for (size_t i = 0; i < n; ++i) {
        parts.push_back(X(i));
        nulls.push_back(X(i) + " IS NULL");
      }
      sql = (pg ? fn : std::string(fn == "GREATEST" ? "MAX" : "MIN")) + "(" + Join(parts, ", ") + ")";
      if (pg) sql = "CASE WHEN " + Join(nulls, " OR ") + " THEN NULL ELSE " + sql + " END";
    } else if (fn == "IF") {
      std::string cond = IsTextType(args[0].type) ? "COALESCE(" + X(0) + ", '') <> ''"
                                                   : "COALESCE(" + X(0) + ", 0) <> 0";
      sql = "CASE WHEN " + cond + " THEN " + X(1) + " ELSE " + X(2) + " END";
    } else if (fn == "ISNULL") {
      sql = "CASE WHEN " + X(0) + " IS NULL THEN 1 ELSE 0 END";
    } else if (fn == "CONCAT") {
      // NULL when any part is, as MySQL's CONCAT.
      std::vector<std::string> parts;
      for (size_t i = 0; i < n; ++i) parts.push_back(T(i));
      sql = "(" + Join(parts, " || ") + ")";
    } else if (fn == "CONCAT_WS") {
      // The parts that are not NULL, each after the separator; the first
      // separator cut off.
      std::vector<std::string> parts;
      for (size_t i = 1; i < n; ++i) parts.push_back("COALESCE(" + T(0) + " || " + T(i) + ", '')");
      sql = "SUBSTR(" + Join(parts, " || ") + ", LENGTH(" + T(0) + ") + 1)";
    } else if (fn == "LOWER" || fn == "UPPER") {
      sql = fn + "(" + T(0) + ")";
    } else if (fn == "REPLACE") {
      sql = "REPLACE(" + T(0) + ", " + T(1) + ", " + T(2) + ")";
    } else if (fn == "LEFT") {
      sql = "SUBSTR(" + T(0) + ", 1, CAST(" + X(1) + " AS INTEGER))";
    } else if (fn == "RIGHT") {
      sql = pg ? "RIGHT(" + T(0) + ", CAST(" + X(1) + " AS INTEGER))"
               : "SUBSTR(" + T(0) + ", -CAST(" + X(1) + " AS INTEGER))";
    } else if (fn == "SUBSTRING") {
      sql = "SUBSTR(" + T(0) + ", CAST(" + X(1) + " AS INTEGER)" +
            (n > 2 ? ", CAST(" + X(2) + " AS INTEGER)" : std::string()) + ")";
    } else if (fn == "ROUND") {
      std::string places = n > 1 ? "CAST(" + X(1) + " AS INTEGER)" : "0";
      sql = pg ? "CAST(ROUND(CAST(" + X(0) + " AS NUMERIC), " + places + ") AS DOUBLE PRECISION)"
               : "ROUND(" + X(0) + ", " + places + ")";
    } else if (fn == "ABS") {
      sql = "ABS(" + X(0) + ")";
    } else if (fn == "YEAR" || fn == "MONTH" || fn == "QUARTER") {
      // Dates are stored as text, "YYYY-MM-DD[ hh:mm:ss]".
      std::string month = "CAST(SUBSTR(" + T(0) + ", 6, 2) AS INTEGER)";
      std::string part = fn == "YEAR"    ? "CAST(SUBSTR(" + T(0) + ", 1, 4) AS INTEGER)"
                         : fn == "MONTH" ? month
                                         : "((" + month + " + 2) / 3)";
      sql = "CASE WHEN COALESCE(" + T(0) + ", '') = '' THEN NULL ELSE " + part + " END";
    } else if (fn == "DATE") {
      sql = "SUBSTR(" + T(0) + ", 1, 10)";
    } else if (fn == "TIME") {
      sql = "SUBSTR(" + T(0) + ", 12, 8)";
    } else {
      return UnknownPath(fn);
    }
    // The markers, in text order, become the operands and their binds.
    std::string out;
    for (size_t at = 0; at < sql.size();) {
      size_t mark = sql.find('\x01', at);
      if (mark == std::string::npos) {
        out += sql.substr(at);
        break;
      }
      out += sql.substr(at, mark - at);
      size_t end = sql.find('\x02', mark);
      size_t i = std::stoul(sql.substr(mark + 1, end - mark - 1));
      out += args[i].expr;
      binds.insert(binds.end(), arg_binds[i].begin(), arg_binds[i].end());
      at = end + 1;
    }
    if (list) list_ = list;
    return Column{out, type, nullptr};
  }

  // The GROUP_CONCAT the last ResolveItem rendered, if it was one.
  std::optional<ListColumn> TakeList() {
    std::optional<ListColumn> list = list_;
    list_.reset();
    return list;
  }

  StatusOr<Column> Resolve(const std::string& full_path) {
    if (IsPlainPath(full_path)) {
      // A column of the queried entity itself: most paths of most queries.
      const Field* field = root_->FindField(full_path);
      if (field == nullptr) return UnknownPath(full_path);
      return Column{root_alias_ + "." + field->name, field->type, field};
    }
    std::string path = full_path;
    std::string suffix;
    if (size_t colon = path.find(':'); colon != std::string::npos) {
      suffix = path.substr(colon + 1);
      path = path.substr(0, colon);
    }
    std::vector<std::string> parts;
    for (std::string_view p : Split(path, '.')) parts.emplace_back(p);
    const Entity* entity = root_;
    std::string alias = root_alias_;
    std::string prefix;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const std::string& seg = parts[i];
      prefix = prefix.empty() ? seg : prefix + "." + seg;
      auto known = joined_.find(prefix);
      if (known != joined_.end()) {
        alias = known->second.first;
        entity = known->second.second;
        continue;
      }
      std::string next_alias = NewAlias();
      if (const schema::ReverseJoin* rj = entity->FindJoin(seg)) {
        const Entity* target = catalog_.Find(rj->entity);
        if (target == nullptr) return UnknownPath(full_path);
        std::string on = next_alias + "." + rj->remote_field + " = " + alias + ".id";
        for (const auto& [col, val] : rj->conditions) {
          on += " AND " + next_alias + "." + col + " = ?";
          join_binds_.push_back(BindValue(val));
        }
        joins_.push_back("LEFT JOIN " + target->table + " " + next_alias + " ON " + on);
        if (entity == root_) root_twins_[seg] = next_alias + "." + rj->remote_field;
        entity = target;
      } else if (const Field* f = entity->FindField(seg); f != nullptr && !f->fk_entity.empty()) {
        const Entity* target = catalog_.Find(f->fk_entity);
        if (target == nullptr) return UnknownPath(full_path);
        joins_.push_back("LEFT JOIN " + target->table + " " + next_alias + " ON " + next_alias +
                         ".id = " + alias + "." + f->name);
        entity = target;
      } else {
        return UnknownPath(full_path);
      }
      alias = next_alias;
      joined_[prefix] = {alias, entity};
    }
    const Field* field = entity->FindField(parts.back());
    if (field == nullptr) return UnknownPath(full_path);
    Column column{alias + "." + field->name, field->type, field};
    if (suffix.empty()) return column;
    return ResolveSuffix(column, alias, suffix, full_path);
  }

  StatusOr<std::string> Where(const Condition& c) {
    switch (c.kind) {
      case Condition::Kind::kAnd:
      case Condition::Kind::kOr: {
        if (c.children.empty()) return std::string(c.kind == Condition::Kind::kAnd ? "1=1" : "1=0");
        std::vector<std::string> parts;
        for (const Condition& child : c.children) {
          KITH_ASSIGN_OR_RETURN(std::string s, Where(child));
          parts.push_back("(" + s + ")");
        }
        return Join(parts, c.kind == Condition::Kind::kAnd ? " AND " : " OR ");
      }
      case Condition::Kind::kNot: {
        if (c.children.size() != 1) return InvalidArgument("NOT takes exactly one condition");
        KITH_ASSIGN_OR_RETURN(std::string s, Where(c.children[0]));
        return "NOT (" + s + ")";
      }
      case Condition::Kind::kLeaf:
        return Leaf(c);
    }
    return Internal("unreachable condition kind");
  }

  // For a disjunction each of whose branches needs `F IN (subquery)` (the
  // branch, or one of its conjuncts; a smart group's "added, or matching
  // and not removed"): "F = ANY(ARRAY(S1 UNION ALL S2 ...))", which the
  // disjunction implies; "" for any other condition. PostgreSQL looks the
  // subqueries' few values up in F's index and tests the disjunction on
  // those rows only, where the disjunction alone makes it test every row of
  // the table (an IN of the union, as a semi-join, it still answers by
  // reading the whole table).
  StatusOr<std::string> UnionOfBranches(const Condition& c) {
    std::vector<const Condition*> leaves = BranchLeaves(c);
    if (leaves.empty()) return std::string();
    KITH_ASSIGN_OR_RETURN(Column col, Resolve(leaves[0]->field));
    std::vector<std::string> selects;
    for (const Condition* in : leaves) {
      KITH_ASSIGN_OR_RETURN(std::string sub, Subquery(*in->subquery));
      selects.push_back(sub);
    }
    return col.expr + " = ANY(ARRAY(" + Join(selects, " UNION ALL ") + "))";
  }

  // The `F IN (subquery)` leaf of each branch of the disjunction `c`, one
  // field F for all (UnionOfBranches); empty when `c` is no such disjunction.
  static std::vector<const Condition*> BranchLeaves(const Condition& c) {
    if (c.kind != Condition::Kind::kOr || c.children.size() < 2) return {};
    std::vector<const Condition*> leaves;
    for (const Condition& branch : c.children) {
      std::vector<const Condition*> parts;
      Conjuncts(branch, parts);
      const Condition* in = nullptr;
      for (const Condition* part : parts) {
        if (part->kind == Condition::Kind::kLeaf && part->subquery && part->op == Op::kIn &&
            part->value_path.empty() && (leaves.empty() || part->field == leaves[0]->field)) {
          in = part;
          break;
        }
      }
      if (in == nullptr) return {};
      leaves.push_back(in);
    }
    return leaves;
  }

  // A count of the root's rows whose conditions are a disjunction of `id
  // IN (subquery)` branches (UnionOfBranches: a smart group) with other
  // `id IN / NOT IN (subquery)` conditions and at most the trash flag: the
  // count of the distinct candidate ids passing them, without reading the
  // root's table. Each candidate is a row of it (the subqueries select
  // links to the root, which die or are cleared with their row), and the
  // trash flag is looked up in its index (TableIndex::kTrash) of the few
  // trashed rows: at 1M contacts and 12k members, one lookup of the root
  // per member was most of the count. "" when the conditions are others.
  StatusOr<std::string> CountOfCandidates(const std::vector<const Condition*>& conjuncts) {
    auto id_subquery = [](const Condition& leaf) {
      return leaf.kind == Condition::Kind::kLeaf && leaf.field == "id" && leaf.subquery &&
             leaf.value_path.empty() && (leaf.op == Op::kIn || leaf.op == Op::kNotIn);
    };
    std::function<bool(const Condition&)> only_id_subqueries = [&](const Condition& c) {
      if (c.kind == Condition::Kind::kLeaf) return id_subquery(c);
      for (const Condition& child : c.children) {
        if (!only_id_subqueries(child)) return false;
      }
      return true;
    };
    const Condition* branches = nullptr;
    size_t branches_at = 0;  // its copy's place in `rest`
    const Condition* trash = nullptr;
    Condition rest = Condition::And();
    for (const Condition* c : conjuncts) {
      if (root_->soft_delete && c->kind == Condition::Kind::kLeaf && c->field == "is_deleted" &&
          c->op == Op::kEq && c->value_path.empty() && !c->subquery && trash == nullptr &&
          (c->value == 0 || c->value == 1)) {
        trash = c;
        continue;
      }
      if (!only_id_subqueries(*c)) return std::string();
      if (branches == nullptr && c->kind == Condition::Kind::kOr) {
        branches = c;
        branches_at = rest.children.size();
      }
      rest.children.push_back(*c);
    }
    if (branches == nullptr || branches->children.size() < 2) return std::string();
    std::vector<const Condition*> candidates;  // each branch's `id IN (subquery)`
    for (const Condition& branch : branches->children) {
      std::vector<const Condition*> parts;
      Conjuncts(branch, parts);
      const Condition* in = nullptr;
      for (const Condition* part : parts) {
        if (part->kind == Condition::Kind::kLeaf && part->op == Op::kIn) in = part;
      }
      if (in == nullptr || in->subquery->select.size() != 1) return std::string();
      const Entity* from = catalog_.Find(in->subquery->entity);
      const Field* link = from == nullptr ? nullptr : from->FindField(in->subquery->select[0]);
      if (link == nullptr || link->fk_entity != root_->name) return std::string();
      candidates.push_back(in);
    }
    std::vector<std::string> selects;  // their binds first, as in the text
    for (const Condition* in : candidates) {
      KITH_ASSIGN_OR_RETURN(std::string sub, Subquery(*in->subquery));
      selects.push_back(sub);
    }
    rest.children[branches_at] = ForCandidates(*branches, candidates);
    KITH_ASSIGN_OR_RETURN(std::string where, Where(rest));
    if (trash != nullptr) {
      // The flag is 0 or 1 (a column of the trash's partial index, whose
      // condition must appear as written for PostgreSQL to use it).
      where += std::string(" AND (") + root_alias_ + ".id " +
               (trash->value.get<int64_t>() == 0 ? "NOT IN" : "IN") + " (SELECT id FROM " +
               root_->table + " WHERE is_deleted <> 0))";
    }
    return "SELECT COUNT(*) FROM (" + Join(selects, " UNION ") + ") " + root_alias_ + "(id) WHERE " +
           where;
  }

  // The disjunction `branches` (CountOfCandidates, UnionOfBranches), whose
  // branch i holds the leaf `candidates[i]`, as it may read for a value
  // drawn from the union of those leaves' subqueries: with two branches one of which is its leaf
  // alone, an id not in that one's set came from the other's, so the other
  // need not look it up again: "id IN (S1) OR (id IN (S2) AND P)" reads
  // "id IN (S1) OR P" (a smart group's "added, or matching and not
  // removed": the matching set, the largest, hashed once instead of twice).
  static Condition ForCandidates(const Condition& branches,
                                 const std::vector<const Condition*>& candidates) {
    if (branches.children.size() != 2) return branches;
    for (size_t bare = 0; bare < 2; ++bare) {
      if (&branches.children[bare] != candidates[bare]) continue;
      std::vector<const Condition*> parts;
      Conjuncts(branches.children[1 - bare], parts);
      Condition others = Condition::And();
      for (const Condition* part : parts) {
        if (part != candidates[1 - bare]) others.children.push_back(*part);
      }
      if (others.IsTrue()) return others;  // every candidate passes
      Condition simpler = branches;
      simpler.children[1 - bare] = std::move(others);
      return simpler;
    }
    return branches;
  }

  // HAVING: leaves may name aggregates as select items do.
  StatusOr<std::string> Having(const Condition& c) {
    having_ = true;
    StatusOr<std::string> sql = Where(c);
    having_ = false;
    return sql;
  }

  // `id IN (sub)` as "INNER JOIN <sub's table> ON <its column> = id AND
  // <its WHERE>"; only for a subquery SelectsEachValueOnce accepts (else
  // the join would repeat rows). The join leads the FROM list's joins, so
  // the planner may start from it.
  Status AddSemiJoin(const Query& sub) {
    Builder s(catalog_, dialect_, alias_counter_);
    KITH_RETURN_IF_ERROR(s.Start(sub.entity));
    KITH_ASSIGN_OR_RETURN(Column col, s.Resolve(sub.SelectedPaths()[0]));
    KITH_ASSIGN_OR_RETURN(std::string where, s.Where(sub.where));
    if (!s.joins_.empty()) return Internal("a semi-join needs no joins of its own");
    semi_joins_.push_back("INNER JOIN " + s.root_->table + " " + s.root_alias_ + " ON " +
                          col.expr + " = " + root_alias_ + ".id" +
                          (where == "1=1" ? "" : " AND (" + where + ")"));
    for (Value& v : s.where_binds_) semi_binds_.push_back(std::move(v));
    if (id_twin_.empty()) id_twin_ = col.expr;
    return Status();
  }

  // After the WHERE is built: a column equal to the root's id in every row
  // of the result, so ORDER BY may name it instead (SQLite walks an index
  // of the joined table in order only when ORDER BY names its column). From
  // the first semi-join, else from the first top-level condition on a path
  // through one of the root's reverse joins that only matched rows pass.
  std::string IdTwin(const std::vector<const Condition*>& conjuncts) const {
    if (!id_twin_.empty()) return id_twin_;
    for (const Condition* c : conjuncts) {
      if (!RejectsNull(*c)) continue;
      auto twin = root_twins_.find(c->field.substr(0, c->field.find_first_of(".:")));
      if (twin != root_twins_.end() && c->field.find('.') != std::string::npos) return twin->second;
    }
    return "";
  }

  std::string From() const {
    std::string from = root_->table + " " + root_alias_;
    for (const std::string& j : semi_joins_) from += " " + j;
    for (const std::string& j : joins_) from += " " + j;
    return from;
  }

  const Entity* root() const { return root_; }
  const std::string& root_alias() const { return root_alias_; }
  // Binds of the FROM clause, in its order.
  std::vector<Value> from_binds() {
    std::vector<Value> binds = std::move(semi_binds_);
    for (Value& v : join_binds_) binds.push_back(std::move(v));
    return binds;
  }
  std::vector<Value>& where_binds() { return where_binds_; }

 private:
  std::string NewAlias() {
    std::string alias = "t";
    alias += std::to_string((*alias_counter_)++);
    return alias;
  }

  Status UnknownPath(const std::string& path) {
    return InvalidArgument("Unknown field: " + path, Value{{"error_field", path}});
  }

  StatusOr<Column> ResolveSuffix(const Column& column, const std::string& alias,
                                 const std::string& suffix, const std::string& full_path) {
    const Field* field = column.field;
    if (!field->choices.empty()) {
      // A fixed list: the name is the stored value; the label is looked up
      // in the list, written into the statement (schema text, not input).
      if (suffix == "name") return Column{column.expr, FieldType::kString, nullptr};
      if (suffix != "label") return UnknownPath(full_path);
      std::string expr = "CASE " + column.expr;
      for (const auto& [value, label] : field->choices) {
        expr += " WHEN " + SqlLiteral(value) + " THEN " + SqlLiteral(label);
      }
      return Column{expr + " END", FieldType::kString, nullptr};
    }
    // A link to an entity that has the asked column wins over an option group
    // of the same name (location_type_id names LocationType rows).
    const Entity* fk_target = field->fk_entity.empty() ? nullptr : catalog_.Find(field->fk_entity);
    if (!field->option_group.empty() &&
        (fk_target == nullptr || fk_target->SuffixColumn(suffix) == nullptr)) {
      std::string ov = NewAlias();
      std::string og = NewAlias();
      joins_.push_back("LEFT JOIN civicrm_option_group " + og + " ON " + og + ".name = ?");
      join_binds_.push_back(field->option_group);
      joins_.push_back("LEFT JOIN civicrm_option_value " + ov + " ON " + ov +
                       ".option_group_id = " + og + ".id AND " + ov + "." + field->option_key + " = " +
                       CastToText(alias + "." + field->name));
      if (suffix == "label" || suffix == "name") {
        return Column{ov + "." + suffix, FieldType::kString, nullptr};
      }
      return UnknownPath(full_path);
    }
    if (!field->fk_entity.empty()) {
      const Entity* target = catalog_.Find(field->fk_entity);
      const char* col = target ? target->SuffixColumn(suffix) : nullptr;
      if (col == nullptr) return UnknownPath(full_path);
      std::string t = NewAlias();
      joins_.push_back("LEFT JOIN " + target->table + " " + t + " ON " + t + ".id = " + alias +
                       "." + field->name);
      return Column{t + "." + col, FieldType::kString, nullptr};
    }
    return UnknownPath(full_path);
  }

  // As text compared the way text columns compare (case-insensitively).
  std::string CastToText(const std::string& expr) const {
    return dialect_ == Dialect::kPostgres ? "CAST(" + expr + " AS citext)" : "CAST(" + expr + " AS TEXT)";
  }
  // The operand of LIKE: PostgreSQL matches text only (SQLite any value as text).
  std::string LikeOperand(const Column& col) const {
    return dialect_ == Dialect::kPostgres && !IsTextType(col.type) ? CastToText(col.expr) : col.expr;
  }

  std::string Like() const { return dialect_ == Dialect::kPostgres ? " ILIKE " : " LIKE "; }
  std::string LikeEscape() const { return dialect_ == Dialect::kPostgres ? "" : " ESCAPE '\\'"; }

  static std::string EscapeLike(const std::string& s) {
    std::string out;
    for (char ch : s) {
      if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
      out += ch;
    }
    return out;
  }

  // The comparisons a keyed column makes by its key: those an index of
  // keys can answer. Patterns, emptiness and NULL tests stay on the column.
  static bool ComparesByKey(Op op) {
    switch (op) {
      case Op::kEq: case Op::kNe: case Op::kLt: case Op::kGt: case Op::kLe: case Op::kGe:
      case Op::kIn: case Op::kNotIn: case Op::kBetween: case Op::kNotBetween:
        return true;
      default:
        return false;
    }
  }

  // Whether `v` (a scalar or a list) holds a text that is no number while
  // `col` is a number: SQLite then compares as unequal values of two types
  // (never equal), where PostgreSQL would refuse the text as a number. On
  // PostgreSQL such a comparison is made as text, to the same effect.
  bool TextAgainstNumber(const Column& col, const Value& v) const {
    if (dialect_ != Dialect::kPostgres || IsTextType(col.type)) return false;
    if (!v.is_array()) return IsTextNoNumber(v);
    return std::any_of(v.begin(), v.end(), IsTextNoNumber);
  }

  StatusOr<std::string> Leaf(const Condition& c) {
    // Expressions only in HAVING: aggregates stay out of WHERE.
    KITH_ASSIGN_OR_RETURN(Column col, having_ ? ResolveItem(c.field, where_binds_) : Resolve(c.field));
    if (TextAgainstNumber(col, c.value)) col.expr = CastToText(col.expr);
    const Value& v = c.value;
    // A keyed column compares by key (the same answer; its index is of keys).
    bool keyed = col.field != nullptr && Keyed(*col.field, dialect_);
    const std::string e = keyed && ComparesByKey(c.op) ? TextKey(col.expr) : col.expr;
    auto bind = [&](const Value& x) {
      where_binds_.push_back(BindValue(x));
      return keyed && ComparesByKey(c.op) && !x.is_null() ? TextKey("?") : std::string("?");
    };
    // Against another column or a subquery's values: citext with citext.
    if (!c.value_path.empty()) return ComparePaths(c, col.expr);
    if (c.subquery) {
      KITH_ASSIGN_OR_RETURN(std::string sub, Subquery(*c.subquery));
      return col.expr + (c.op == Op::kNotIn ? " NOT IN (" : " IN (") + sub + ")";
    }
    switch (c.op) {
      case Op::kEq:
        if (v.is_null()) return e + " IS NULL";
        return e + " = " + bind(v);
      case Op::kNe:
        if (v.is_null()) return e + " IS NOT NULL";
        return e + " <> " + bind(v);
      case Op::kLt: return e + " < " + bind(v);
      case Op::kGt: return e + " > " + bind(v);
      case Op::kLe: return e + " <= " + bind(v);
      case Op::kGe: return e + " >= " + bind(v);
      case Op::kLike: {
        std::string like = LikeOperand(col) + Like() + bind(v) + LikeEscape();
        // PostgreSQL's ILIKE on citext cannot use an index; a pattern with a
        // literal start also gets the range of values starting with it
        // (citext compares lowered text, as its index orders it), which can; a
        // stored column's only: an expression may be text, not citext.
        std::string prefix = dialect_ == Dialect::kPostgres && col.field != nullptr &&
                                         IsTextType(col.type) && v.is_string()
                                 ? LikePrefix(v.get_ref<const std::string&>())
                                 : "";
        if (prefix.empty()) return like;
        std::string past = prefix;
        ++past.back();  // at most 0x7f: still one ASCII byte
        std::string from = keyed ? TextKey(e) : e;
        std::string low = keyed ? TextKey(bind(prefix)) : bind(prefix);
        std::string high = keyed ? TextKey(bind(past)) : bind(past);
        return "(" + like + " AND " + from + " >= " + low + " AND " + from + " < " + high + ")";
      }
      case Op::kNotLike: return LikeOperand(col) + " NOT" + Like() + bind(v) + LikeEscape();
      case Op::kIn:
      case Op::kNotIn: {
        if (!v.is_array()) return InvalidArgument("IN needs a list of values for " + c.field);
        if (v.empty()) return std::string(c.op == Op::kIn ? "1=0" : "1=1");
        std::vector<std::string> marks;
        for (const Value& x : v) marks.push_back(bind(x));
        return e + (c.op == Op::kIn ? " IN (" : " NOT IN (") + Join(marks, ",") + ")";
      }
      case Op::kBetween:
      case Op::kNotBetween: {
        if (!v.is_array() || v.size() != 2) {
          return InvalidArgument("BETWEEN needs two values for " + c.field);
        }
        std::string lo = bind(v[0]);
        std::string hi = bind(v[1]);
        return e + (c.op == Op::kBetween ? " BETWEEN " : " NOT BETWEEN ") + lo + " AND " + hi;
      }
      case Op::kIsNull: return e + " IS NULL";
      case Op::kIsNotNull: return e + " IS NOT NULL";
      case Op::kIsEmpty:
        if (IsTextType(col.type)) return "(" + e + " IS NULL OR " + e + " = '')";
        return e + " IS NULL";
      case Op::kIsNotEmpty:
        if (IsTextType(col.type)) return "(" + e + " IS NOT NULL AND " + e + " <> '')";
        return e + " IS NOT NULL";
      case Op::kContains:
      case Op::kNotContains: {
        std::string text = v.is_string() ? v.get<std::string>() : v.dump();
        std::string operand = LikeOperand(col);
        std::string pattern = "%" + EscapeLike(text) + "%";
        if (col.field && col.field->comma_separated) {
          // One item of "a,b": the list between commas holds ",item,".
          operand = "(',' || " + operand + " || ',')";
          pattern = "%," + EscapeLike(text) + ",%";
        } else if (col.field && col.field->serialized) {
          pattern = "%\x01" + EscapeLike(text) + "\x01%";
        }
        return operand + (c.op == Op::kContains ? "" : " NOT") + Like() + bind(pattern) + LikeEscape();
      }
      case Op::kRegexp:
      case Op::kNotRegexp:
        if (dialect_ == Dialect::kPostgres) {
          return LikeOperand(col) + (c.op == Op::kRegexp ? " ~* " : " !~* ") + bind(v);
        }
        return std::string(c.op == Op::kRegexp ? "" : "NOT ") + e + " REGEXP " + bind(v);
    }
    return Internal("unreachable operator");
  }

  StatusOr<std::string> ComparePaths(const Condition& c, const std::string& left) {
    KITH_ASSIGN_OR_RETURN(Column right, Resolve(c.value_path));
    const char* op = nullptr;
    switch (c.op) {
      case Op::kEq: op = " = "; break;
      case Op::kNe: op = " <> "; break;
      case Op::kLt: op = " < "; break;
      case Op::kGt: op = " > "; break;
      case Op::kLe: op = " <= "; break;
      case Op::kGe: op = " >= "; break;
      default: return InvalidArgument("only comparisons can join two fields: " + c.field);
    }
    return left + op + right.expr;
  }

  StatusOr<std::string> Subquery(const Query& q) {
    Builder sub(catalog_, dialect_, alias_counter_);
    KITH_RETURN_IF_ERROR(sub.Start(q.entity));
    if (q.SelectedPaths().size() != 1) return InvalidArgument("a subquery selects exactly one field");
    KITH_ASSIGN_OR_RETURN(Column col, sub.Resolve(q.SelectedPaths()[0]));
    KITH_ASSIGN_OR_RETURN(std::string where, sub.Where(q.where));
    std::string sql = "SELECT " + col.expr + " FROM " + sub.From() + " WHERE " + where;
    for (Value& b : sub.from_binds()) where_binds_.push_back(std::move(b));
    for (Value& b : sub.where_binds()) where_binds_.push_back(std::move(b));
    return sql;
  }

  const schema::Catalog& catalog_;
  Dialect dialect_;
  int* alias_counter_;
  const Entity* root_ = nullptr;
  std::string root_alias_;
  std::map<std::string, std::pair<std::string, const Entity*>> joined_;
  std::vector<std::string> joins_;
  std::vector<Value> join_binds_;
  std::vector<Value> where_binds_;
  std::vector<std::string> semi_joins_;  // AddSemiJoin, before joins_ in FROM
  std::vector<Value> semi_binds_;
  std::string id_twin_;  // the first semi-join's column
  std::optional<ListColumn> list_;  // Render's last GROUP_CONCAT (TakeList)
  bool having_ = false;  // building HAVING
  // Reverse joins taken from the root: their name -> "<alias>.<remote_field>".
  std::map<std::string, std::string> root_twins_;
};

}  // namespace

std::string Placeholders(std::string sql, Dialect dialect) {
  if (dialect != Dialect::kPostgres) return sql;
  // Values are never in SQL text, so every '?' outside quotes is a placeholder.
  std::string out;
  int n = 0;
  bool quoted = false;
  for (char ch : sql) {
    if (ch == '\'') quoted = !quoted;
    if (ch == '?' && !quoted) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Identifier(std::string name, Dialect dialect) {
  constexpr size_t kPostgresLimit = 63;  // NAMEDATALEN - 1; longer names are cut
  if (dialect != Dialect::kPostgres || name.size() <= kPostgresLimit) return name;
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same name on every build
  for (char ch : name) hash = (hash ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  char tail[18];
  std::snprintf(tail, sizeof tail, "_%016llx", static_cast<unsigned long long>(hash));
  return name.substr(0, kPostgresLimit - 17) + tail;
}

std::string ColumnExistsSql(Dialect dialect) {
  if (dialect == Dialect::kPostgres) {
    return "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() "
           "AND table_name = $1 AND column_name = $2";
  }
  return "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?";
}

namespace {

StatusOr<SqlStatement> BuildQuery(const schema::Catalog& catalog, const Query& query,
                                  Dialect dialect, bool count) {
  int aliases = 0;
  Builder b(catalog, dialect, &aliases);
  KITH_RETURN_IF_ERROR(b.Start(query.entity));
  // A top-level `id IN (subquery)` that cannot repeat rows becomes a join:
  // SQLite materialises an IN list whole (every member of a group) before
  // a LIMIT applies, while a join can walk the subquery table's index in
  // id order and stop after a page.
  std::vector<const Condition*> conjuncts;
  Conjuncts(query.where, conjuncts);
  std::vector<bool> joined(conjuncts.size(), false);
  bool rewritten = false;
  for (size_t i = 0; i < conjuncts.size(); ++i) {
    const Condition* c = conjuncts[i];
    if (c->kind == Condition::Kind::kLeaf && c->subquery && c->op == Op::kIn && c->field == "id" &&
        b.root()->FindField("id") != nullptr && SelectsEachValueOnce(catalog, *c->subquery)) {
      KITH_RETURN_IF_ERROR(b.AddSemiJoin(*c->subquery));
      joined[i] = rewritten = true;
    }
  }
  Condition rest = Condition::And();
  if (rewritten) {
    for (size_t i = 0; i < conjuncts.size(); ++i) {
      if (!joined[i]) rest.children.push_back(*conjuncts[i]);
    }
    conjuncts.clear();
    Conjuncts(rest, conjuncts);
  }
  const Condition& where_condition = rewritten ? rest : query.where;
  KITH_RETURN_IF_ERROR(b.AddJoins(query.joins));
  SqlStatement st;
  std::vector<std::string> cols;
  std::vector<Value> select_binds, order_binds;
  if (!count) {
    if (query.SelectedPaths().empty()) return InvalidArgument("a query selects at least one field");
    for (const std::string& path : query.SelectedPaths()) {
      KITH_ASSIGN_OR_RETURN(Column c, b.ResolveItem(path, select_binds, /*top=*/true));
      if (std::optional<ListColumn> list = b.TakeList()) {
        list->column = cols.size();
        st.list_columns.push_back(*list);
      }
      const bool stored = c.field != nullptr && c.expr == b.root_alias() + "." + c.field->name;
      st.root_columns.push_back(stored ? c.field->name : std::string());
      cols.push_back(OutputColumn(c.expr, c.field, dialect, query.distinct || !query.group_by.empty()));
      st.column_types.push_back(c.type);
    }
    st.root_table = b.root()->table;
    st.root_alias = b.root_alias();
    st.distinct_columns = NoRepeats(query.SelectedPaths());
  }
  if (count && dialect == Dialect::kPostgres && !rewritten && query.joins.empty() &&
      query.group_by.empty()) {
    KITH_ASSIGN_OR_RETURN(std::string counted, b.CountOfCandidates(conjuncts));
    if (!counted.empty()) {
      st.binds = std::move(b.where_binds());
      st.sql = Placeholders(std::move(counted), dialect);
      return st;
    }
  }
  // PostgreSQL: a disjunction of `F IN (subquery)` branches comes with the
  // union of those subqueries it implies (UnionOfBranches), which lets the
  // disjunction itself read simpler (ForCandidates).
  Condition simpler = Condition::And();
  bool simplified = false;
  for (const Condition* c : conjuncts) {
    std::vector<const Condition*> leaves;
    if (dialect == Dialect::kPostgres) leaves = Builder::BranchLeaves(*c);
    simpler.children.push_back(leaves.empty() ? *c : Builder::ForCandidates(*c, leaves));
    simplified = simplified || !leaves.empty();
  }
  KITH_ASSIGN_OR_RETURN(std::string where, b.Where(simplified ? simpler : where_condition));
  if (dialect == Dialect::kPostgres) {
    for (const Condition* c : conjuncts) {
      KITH_ASSIGN_OR_RETURN(std::string implied, b.UnionOfBranches(*c));
      if (!implied.empty()) where += " AND (" + implied + ")";
    }
  }
  std::vector<std::string> order;
  if (!count) {
    // Ordering by a column equal to id gives the same order; not for
    // grouped or DISTINCT rows, where ORDER BY may only name what they keep.
    std::string id_twin = query.group_by.empty() && !query.distinct ? b.IdTwin(conjuncts) : "";
    for (const OrderBy& o : query.order_by) {
      KITH_ASSIGN_OR_RETURN(Column c, b.ResolveItem(o.field, order_binds));
      if (!id_twin.empty() && c.expr == b.root_alias() + ".id") c.expr = id_twin;
      // By key, in the order of the column's index (the same order); grouped
      // or DISTINCT rows keep the column they name.
      if (c.field != nullptr && Keyed(*c.field, dialect) && query.group_by.empty() && !query.distinct) {
        c.expr = TextKey(c.expr);
      }
      order.push_back(c.expr + (o.descending ? " DESC" : " ASC"));
      // NULL sorts first, as on SQLite and MySQL (PostgreSQL: last). Not
      // for ids, which are never NULL: an index then still gives the order.
      // Not either when no row has a NULL there: PostgreSQL then walks an
      // index backwards for DESC (its NULLS FIRST order) and stops at LIMIT.
      if (dialect == Dialect::kPostgres && (c.field == nullptr || c.field->name != "id") &&
          !ExcludesNull(conjuncts, o.field)) {
        order.back() += o.descending ? " NULLS LAST" : " NULLS FIRST";
      }
    }
  }
  std::vector<std::string> groups;
  for (const std::string& path : query.group_by) {
    KITH_ASSIGN_OR_RETURN(Column c, b.Resolve(path));
    groups.push_back(c.expr);
  }
  std::string having;
  if (!query.having.IsTrue()) {
    if (groups.empty()) return InvalidArgument("having needs group_by");
    KITH_ASSIGN_OR_RETURN(having, b.Having(query.having));
  }
  std::string sql = "SELECT ";
  if (count && !groups.empty()) {
    sql += "COUNT(*) FROM (SELECT 1";
  } else if (count) {
    sql += query.distinct ? "COUNT(DISTINCT " + b.root_alias() + ".id)" : "COUNT(*)";
  } else {
    sql += (query.distinct ? "DISTINCT " : "") + Join(cols, ", ");
    // (Placeholders leaves it where it is: no placeholder comes before it.)
    if (!query.distinct && groups.empty() && select_binds.empty()) st.select_end = sql.size();
  }
  sql += " FROM " + b.From();
  if (where != "1=1") sql += " WHERE " + where;
  if (!groups.empty()) sql += " GROUP BY " + Join(groups, ", ");
  if (!having.empty()) sql += " HAVING " + having;
  if (count && !groups.empty()) sql += ") grouped";
  if (!order.empty()) sql += " ORDER BY " + Join(order, ", ");
  // In text order: SELECT, FROM, WHERE and HAVING, ORDER BY.
  st.binds = std::move(select_binds);
  for (Value& v : b.from_binds()) st.binds.push_back(std::move(v));
  for (Value& v : b.where_binds()) st.binds.push_back(std::move(v));
  for (Value& v : order_binds) st.binds.push_back(std::move(v));
  if (!count) sql += LimitClause(query, dialect, &st.binds);
  st.sql = Placeholders(std::move(sql), dialect);
  return st;
}

std::string SqlType(const Field& f, Dialect dialect) {
  switch (f.type) {
    case FieldType::kInt: return dialect == Dialect::kPostgres ? "BIGINT" : "INTEGER";
    case FieldType::kBool: return dialect == Dialect::kPostgres ? "SMALLINT" : "INTEGER";
    case FieldType::kFloat:
    case FieldType::kMoney: return dialect == Dialect::kPostgres ? "DOUBLE PRECISION" : "REAL";
    // Case-insensitive as CiviCRM's MySQL collation: SQLite's NOCASE folds
    // ASCII letters and orders bytes; citext under the "C" collation does
    // the same (lower() folds only ASCII there), for =, <, ORDER BY, LIKE,
    // unique keys and their indexes.
    default: return dialect == Dialect::kPostgres ? "citext COLLATE \"C\"" : "TEXT COLLATE NOCASE";
  }
}

std::string SqlLiteral(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number()) return v.dump();
  if (v.is_string()) {
    std::string out = "'";
    for (char ch : v.get<std::string>()) {
      if (ch == '\'') out += '\'';
      out += ch;
    }
    return out + "'";
  }
  return "NULL";
}

}  // namespace

namespace {

// A GROUP_CONCAT member as MySQL writes it into the text.
std::string ListMemberText(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return std::to_string(static_cast<int64_t>(d));
  }
  return v.dump();
}

// Order of two keys: NULL first, numbers by value, text case-insensitively
// (as CiviCRM's collation).
bool KeyLess(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && !b.is_null();
  if (a.is_number() && b.is_number()) return a.get<double>() < b.get<double>();
  return AsciiLower(ListMemberText(a)) < AsciiLower(ListMemberText(b));
}

Value FinishList(const ListColumn& list, const Value& gathered) {
  if (!gathered.is_string()) return nullptr;
  Value pairs = Value::parse(gathered.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (!pairs.is_array()) return nullptr;
  std::vector<std::pair<Value, std::string>> members;
  for (const Value& p : pairs) {
    if (!p.is_array() || p.size() != 2 || p[1].is_null()) continue;
    members.emplace_back(p[0], ListMemberText(p[1]));
  }
  std::stable_sort(members.begin(), members.end(), [&](const auto& a, const auto& b) {
    return list.descending ? KeyLess(b.first, a.first) : KeyLess(a.first, b.first);
  });
  if (members.empty()) return nullptr;
  std::string out;
  std::vector<std::string> seen;
  bool first = true;
  for (const auto& [key, text] : members) {
    if (list.distinct) {
      std::string folded = AsciiLower(text);
      if (std::find(seen.begin(), seen.end(), folded) != seen.end()) continue;
      seen.push_back(std::move(folded));
    }
    if (!first) out += list.separator;
    out += text;
    first = false;
  }
  return out;
}

}  // namespace

void FinishRows(const SqlStatement& st, const std::vector<std::string>& select,
                std::vector<Value>& rows) {
  for (const ListColumn& list : st.list_columns) {
    if (list.column >= select.size()) continue;
    const std::string& key = select[list.column];
    for (Value& row : rows) {
      if (row.is_object() && row.contains(key)) row[key] = FinishList(list, row[key]);
    }
  }
}

bool IsTextNoNumber(const Value& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  // Digits alone (an id sent as text, every 3.2 get by id) are a number:
  // known without strtod, which costs some eight hundred instructions.
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return s.empty() || end == nullptr || *end != '\0';
}

std::string LimitClause(const Query& query, Dialect dialect, std::vector<Value>* binds) {
  std::string clause;
  if (dialect == Dialect::kPostgres) {
    // An OFFSET only when there is one: PostgreSQL prices a parameter as
    // OFFSET by guessing rows skipped, which makes the generic plan of a
    // prepared statement look dearer than planning each call anew, so it
    // plans every call (2 ms for v3 Contact.get's eighteen joins).
    if (query.limit > 0) {
      clause += " LIMIT ?";
      binds->push_back(query.limit);
    }
    if (query.offset > 0) {
      clause += " OFFSET ?";
      binds->push_back(query.offset);
    }
  } else if (query.limit > 0 || query.offset > 0) {
    clause = " LIMIT ? OFFSET ?";
    binds->push_back(query.limit > 0 ? query.limit : int64_t{-1});
    binds->push_back(query.offset);
  }
  return clause;
}

StatusOr<SqlStatement> BuildSelect(const schema::Catalog& catalog, const Query& query,
                                   Dialect dialect) {
  return BuildQuery(catalog, query, dialect, /*count=*/false);
}

StatusOr<SqlStatement> BuildCount(const schema::Catalog& catalog, const Query& query,
                                  Dialect dialect) {
  return BuildQuery(catalog, query, dialect, /*count=*/true);
}

StatusOr<InsertPlan> PlanInsert(const Entity& entity, const Value& row, Dialect dialect,
                                bool with_id) {
  InsertPlan plan;
  plan.with_id = with_id;
  std::vector<std::string> cols, marks;
  if (with_id) {
    cols.push_back("id");
    marks.push_back("?");
  }
  for (const auto& [name, value] : row.items()) {
    const Field* f = entity.FindField(name);
    if (f == nullptr) return InvalidArgument("Unknown field: " + name, {{"error_field", name}});
    cols.push_back(f->name);
    marks.push_back("?");
    plan.fields.push_back(f);
    plan.logged.push_back(ChangeLogShows(*f));
    plan.created_heads.push_back("\"" + name + "\":[null,");
  }
  if (cols.empty()) {
    plan.sql = "INSERT INTO " + entity.table + " DEFAULT VALUES";
  } else {
    plan.sql = "INSERT INTO " + entity.table + " (" + Join(cols, ", ") + ") VALUES (" +
               Join(marks, ", ") + ")";
  }
  if (dialect == Dialect::kPostgres) plan.sql += " RETURNING id";
  plan.sql = Placeholders(std::move(plan.sql), dialect);
  return plan;
}

const Value& InsertedValue(const schema::Field& f, const Value& value) {
  static const Value kZero = 0;
  // Flags are never NULL: a null flag takes the field's default.
  if (value.is_null() && f.type == FieldType::kBool && !f.nullable) {
    return f.default_value.is_null() ? kZero : f.default_value;
  }
  return value;
}

std::vector<Value> InsertBinds(const InsertPlan& plan, const Value& row, int64_t id) {
  std::vector<Value> binds;
  binds.reserve(plan.fields.size() + 1);
  if (plan.with_id) binds.push_back(id);
  size_t i = 0;
  for (const auto& [name, value] : Members(row)) {
    binds.push_back(BindValue(InsertedValue(*plan.fields[i++], value)));
  }
  return binds;
}

StatusOr<SqlStatement> BuildUpdate(const Entity& entity, int64_t id, const Value& changes,
                                   Dialect dialect) {
  SqlStatement st;
  std::vector<std::string> sets;
  for (const auto& [name, value] : changes.items()) {
    const Field* f = entity.FindField(name);
    if (f == nullptr || f->name == "id") {
      return InvalidArgument("Unknown field: " + name, {{"error_field", name}});
    }
    sets.push_back(f->name + " = ?");
    st.binds.push_back(BindValue(value));
  }
  if (sets.empty()) {
    sets.push_back("id = id");
  }
  st.sql = "UPDATE " + entity.table + " SET " + Join(sets, ", ") + " WHERE id = ?";
  st.binds.push_back(id);
  st.sql = Placeholders(std::move(st.sql), dialect);
  return st;
}

namespace {

// The view of a derived entity (Entity::derived), its columns in the
// entity's field order.
std::vector<std::string> BuildCreateView(const schema::Catalog& catalog, const Entity& entity) {
  std::vector<std::string> columns;
  for (const Field& f : entity.fields) columns.push_back(f.name);
  std::string head = "CREATE VIEW " + entity.table + " (" + Join(columns, ", ") + ") AS ";
  const Entity* rel = catalog.Find("Relationship");
  const Entity* type = catalog.Find("RelationshipType");
  if (entity.derived == "relationship_permutations" && rel != nullptr && type != nullptr) {
    // Each relationship twice: from contact A (a_b) and from contact B (b_a).
    // Ids are derived from the relationship's (2n-1, 2n), so they stay put.
    auto side = [&](const char* id, const char* orientation, const char* near, const char* far,
                    const char* near_name, const char* far_name) {
      return std::string("SELECT ") + id + ", r.id, r.relationship_type_id, '" + orientation +
             "', r." + near + ", t." + near_name + ", r." + far + ", t." + far_name +
             ", r.is_active, r.start_date, r.end_date, r.case_id FROM " + rel->table +
             " AS r JOIN " + type->table + " AS t ON t.id = r.relationship_type_id";
    };
    return {head + side("r.id * 2 - 1", "a_b", "contact_id_a", "contact_id_b", "name_a_b", "name_b_a") +
            " UNION ALL " +
            side("r.id * 2", "b_a", "contact_id_b", "contact_id_a", "name_b_a", "name_a_b")};
  }
  // A derivation this builder does not know: fail the migration loudly.
  return {head + "SELECT unknown_derivation_" + entity.derived};
}

}  // namespace

namespace {

// An index of a table as its CREATE TABLE makes it.
struct TableIndex {
  std::vector<std::string> columns;
  // kTrash: the ids of a soft-deleted entity's rows in the trash (few), so
  // that "not in the trash" is known without reading the row.
  // kUniqueWhereSet (PostgreSQL): an optional unique column (a contact's
  // external identifier) unique among the rows that have a value, which are
  // all its index holds; named as the column's UNIQUE constraint was.
  enum Kind { kPlain, kSparse, kUnique, kTrash, kUniqueWhereSet } kind;

  std::string Name(const Entity& entity, Dialect dialect) const {
    if (kind == kUnique) return Identifier("uidx_" + entity.table + "_" + Join(columns, "_"), dialect);
    if (kind == kTrash) return Identifier("idx_" + entity.table + "_trash", dialect);
    if (kind == kUniqueWhereSet) return Identifier(entity.table + "_" + columns[0] + "_key", dialect);
    return IndexName(entity, columns, dialect);
  }
  std::string Create(const Entity& entity, bool if_not_exists, Dialect dialect) const {
    const bool unique = kind == kUnique || kind == kUniqueWhereSet;
    std::string sql = unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
    if (if_not_exists) sql += "IF NOT EXISTS ";
    sql += Name(entity, dialect) + " ON " + entity.table + " (" +
           (unique ? Join(columns, ", ") : IndexedColumns(entity, columns, dialect)) + ")";
    if (kind == kSparse || kind == kUniqueWhereSet) sql += " WHERE " + columns[0] + " IS NOT NULL";
    if (kind == kTrash) sql += " WHERE is_deleted <> 0";
    return sql;
  }
};

// Whether `f`'s uniqueness is kept by an index of its own (kUniqueWhereSet)
// rather than a UNIQUE constraint in its column's definition.
bool UniqueWhereSet(const Field& f, Dialect dialect) {
  return dialect == Dialect::kPostgres && f.unique && !f.required;
}

// The indexes declared by `entity`, then one for each link that none of
// them starts with (sparse when the link is optional: often empty, like a
// contact's employer).
std::vector<TableIndex> TableIndexes(const Entity& entity, Dialect dialect) {
  std::vector<TableIndex> out;
  for (const auto& idx : entity.indexes) out.push_back({idx, TableIndex::kPlain});
  for (const auto& idx : entity.sparse_indexes) out.push_back({idx, TableIndex::kSparse});
  for (const Field& f : entity.fields) {
    if (f.name == "id" || f.fk_entity.empty() || f.unique) continue;  // UNIQUE has its index
    bool indexed = false;
    for (const TableIndex& idx : out) indexed = indexed || idx.columns[0] == f.name;
    for (const auto& idx : entity.unique_indexes) indexed = indexed || (!idx.empty() && idx[0] == f.name);
    if (!indexed) out.push_back({{f.name}, f.required ? TableIndex::kPlain : TableIndex::kSparse});
  }
  for (const auto& idx : entity.unique_indexes) out.push_back({idx, TableIndex::kUnique});
  for (const Field& f : entity.fields) {
    if (UniqueWhereSet(f, dialect)) out.push_back({{f.name}, TableIndex::kUniqueWhereSet});
  }
  if (entity.soft_delete) out.push_back({{"id"}, TableIndex::kTrash});
  return out;
}

}  // namespace

const Entity* ReferenceTarget(const schema::Catalog& catalog, const Field& f) {
  if (f.fk_entity.empty() || f.required) return nullptr;
  const Entity* target = catalog.Find(f.fk_entity);
  return target != nullptr && target->reference_data ? target : nullptr;
}

const Entity* OwnerCheckedByStore(const schema::Catalog& catalog, const Entity& entity, const Field& f) {
  if (f.fk_entity.empty() || !f.required || !entity.derived.empty()) return nullptr;
  const Entity* owner = catalog.Find(f.fk_entity);
  if (owner == nullptr) return nullptr;
  for (const schema::ReverseJoin& join : owner->joins) {
    if (join.entity == entity.name && join.remote_field == f.name) return owner;
  }
  return nullptr;
}

bool SelfLinkCheckedByStore(const Entity& entity, const Field& f) {
  if (f.fk_entity != entity.name || f.required || !entity.derived.empty()) return false;
  for (const Field& other : entity.fields) {
    if (!other.fk_entity.empty() && other.required) return false;  // may go in a cascade
  }
  return true;
}

std::vector<std::string> BuildDropStoreCheckedForeignKeys(const schema::Catalog& catalog,
                                                          const Entity& entity, Dialect dialect) {
  std::vector<std::string> statements;
  if (dialect != Dialect::kPostgres) return statements;
  for (const Field& f : entity.fields) {
    if (OwnerCheckedByStore(catalog, entity, f) == nullptr && !SelfLinkCheckedByStore(entity, f)) continue;
    // The names come from the schema, never from input.
    statements.push_back(
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT k.conname FROM pg_constraint k JOIN "
        "pg_attribute a ON a.attrelid = k.conrelid AND k.conkey = ARRAY[a.attnum] WHERE "
        "k.conrelid = CAST('" + entity.table + "' AS regclass) AND k.contype = 'f' AND a.attname = '" +
        f.name + "' LOOP EXECUTE format('ALTER TABLE " + entity.table +
        " DROP CONSTRAINT %I', r.conname); END LOOP; END $$");
  }
  return statements;
}

std::vector<std::string> UnsampledColumns(const Entity& entity, Dialect dialect) {
  std::vector<std::string> columns;
  if (!entity.derived.empty()) return columns;
  for (const Field& f : entity.fields) {
    if (Keyed(f, dialect)) columns.push_back(f.name);
  }
  return columns;
}

namespace {

std::string NoStatistics(const Entity& entity, const std::string& column) {
  return "ALTER TABLE " + entity.table + " ALTER COLUMN " + column + " SET STATISTICS 0";
}

}  // namespace

std::vector<std::string> BuildCreateTable(const schema::Catalog& catalog, const Entity& entity,
                                          Dialect dialect) {
  if (!entity.derived.empty()) return BuildCreateView(catalog, entity);
  std::vector<std::string> defs;
  for (const Field& f : entity.fields) {
    if (f.name == "id") {
      // Ids given on insert (reference data keeps CiviCRM's) are allowed;
      // the backend moves the sequence past them.
      defs.push_back(dialect == Dialect::kPostgres
                         ? "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                         : "id INTEGER PRIMARY KEY AUTOINCREMENT");
      continue;
    }
    std::string def = f.name + " " + SqlType(f, dialect);
    if (f.type == FieldType::kBool && !f.nullable) def += " NOT NULL";
    if (!f.default_value.is_null()) def += " DEFAULT " + SqlLiteral(f.default_value);
    if (f.unique && !UniqueWhereSet(f, dialect)) def += " UNIQUE";
    const bool checked_by_kith =
        dialect == Dialect::kPostgres &&
        (ReferenceTarget(catalog, f) != nullptr || OwnerCheckedByStore(catalog, entity, f) != nullptr ||
         SelfLinkCheckedByStore(entity, f));
    if (!f.fk_entity.empty() && !checked_by_kith) {
      if (const Entity* target = catalog.Find(f.fk_entity)) {
        // A required link dies with its target (a note with its contact;
        // on PostgreSQL an email's is kith's, OwnerCheckedByStore); an
        // optional one is cleared (a group's creator; on PostgreSQL a
        // contact's employer is kith's, SelfLinkCheckedByStore).
        def += " REFERENCES " + target->table + "(id) ON DELETE " +
               (f.required ? "CASCADE" : "SET NULL");
      }
    }
    defs.push_back(def);
  }
  std::vector<std::string> statements = {"CREATE TABLE " + entity.table + " (" +
                                         Join(defs, ", ") + ")"};
  for (const TableIndex& idx : TableIndexes(entity, dialect)) {
    statements.push_back(idx.Create(entity, /*if_not_exists=*/false, dialect));
  }
  for (const std::string& column : UnsampledColumns(entity, dialect)) {
    statements.push_back(NoStatistics(entity, column));
  }
  return statements;
}

namespace {

bool IndexCovers(const std::vector<std::string>& index, const std::string& column) {
  for (const std::string& c : index) {
    if (c == column) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> BuildAddColumn(const Entity& entity, const Field& field, Dialect dialect) {
  // No REFERENCES clause: SQLite cannot drop a column that has one, and the
  // links of columns added at run time (custom fields) are checked by kith.
  std::string def = field.name + " " + SqlType(field, dialect);
  if (field.type == FieldType::kBool && !field.nullable) def += " NOT NULL";
  if (!field.default_value.is_null()) def += " DEFAULT " + SqlLiteral(field.default_value);
  std::vector<std::string> statements = {"ALTER TABLE " + entity.table + " ADD COLUMN " + def};
  if (Keyed(field, dialect)) statements.push_back(NoStatistics(entity, field.name));
  for (const auto& idx : entity.indexes) {
    if (!IndexCovers(idx, field.name)) continue;
    statements.push_back("CREATE INDEX " + IndexName(entity, idx, dialect) + " ON " + entity.table + " (" +
                         IndexedColumns(entity, idx, dialect) + ")");
  }
  return statements;
}

std::vector<std::string> BuildDropColumn(const Entity& entity, const Field& field,
                                         Dialect dialect) {
  std::vector<std::string> statements;
  // Both SQL dialects refuse to drop an indexed column: its indexes go first.
  for (const auto& idx : entity.indexes) {
    if (IndexCovers(idx, field.name)) {
      statements.push_back("DROP INDEX IF EXISTS " + IndexName(entity, idx, dialect));
      std::string unkeyed = IndexName(entity, idx, dialect, /*by_key=*/false);
      if (unkeyed != IndexName(entity, idx, dialect)) statements.push_back("DROP INDEX IF EXISTS " + unkeyed);
    }
  }
  statements.push_back("ALTER TABLE " + entity.table + " DROP COLUMN " + field.name);
  return statements;
}

std::vector<std::string> BuildSyncIndexes(const Entity& entity, const Field& field,
                                          Dialect dialect) {
  std::vector<std::string> statements;
  std::vector<std::vector<std::string>> kept;
  for (const auto& idx : entity.indexes) {
    if (!IndexCovers(idx, field.name)) continue;
    kept.push_back(idx);
    statements.push_back("CREATE INDEX IF NOT EXISTS " + IndexName(entity, idx, dialect) + " ON " +
                         entity.table + " (" + IndexedColumns(entity, idx, dialect) + ")");
  }
  // The indexes a column of this kind may have been given (custom fields:
  // (column) before migration 7, (column, entity_id) since) that the
  // entity no longer has, and those made before keys (migration 13).
  std::vector<std::string> keep_names;
  for (const auto& idx : kept) keep_names.push_back(IndexName(entity, idx, dialect));
  for (const std::vector<std::string>& old : {std::vector<std::string>{field.name},
                                              std::vector<std::string>{field.name, "entity_id"}}) {
    for (bool by_key : {true, false}) {
      std::string name = IndexName(entity, old, dialect, by_key);
      if (std::find(keep_names.begin(), keep_names.end(), name) != keep_names.end()) continue;
      statements.push_back("DROP INDEX IF EXISTS " + name);
      keep_names.push_back(name);  // dropped once
    }
  }
  return statements;
}

std::vector<std::string> BuildDropTable(const Entity& entity, Dialect /*dialect*/) {
  return {"DROP TABLE IF EXISTS " + entity.table};
}

std::vector<std::string> BuildCreateIndexes(const schema::Catalog& /*catalog*/,
                                            const Entity& entity, Dialect dialect) {
  std::vector<std::string> statements;
  if (!entity.derived.empty()) return statements;  // a view has none
  for (const TableIndex& idx : TableIndexes(entity, dialect)) {
    statements.push_back(idx.Create(entity, /*if_not_exists=*/true, dialect));
  }
  return statements;
}

std::vector<std::string> BuildKeyIndexes(const schema::Catalog& /*catalog*/, const Entity& entity,
                                         Dialect dialect) {
  std::vector<std::string> statements;
  if (!entity.derived.empty()) return statements;
  for (const TableIndex& idx : TableIndexes(entity, dialect)) {
    if (idx.kind == TableIndex::kUnique || idx.kind == TableIndex::kTrash ||
        idx.kind == TableIndex::kUniqueWhereSet) {
      continue;
    }
    std::string unkeyed = IndexName(entity, idx.columns, dialect, /*by_key=*/false);
    if (unkeyed == idx.Name(entity, dialect)) continue;  // no keyed column
    statements.push_back("DROP INDEX IF EXISTS " + unkeyed);
    statements.push_back(idx.Create(entity, /*if_not_exists=*/true, dialect));
  }
  return statements;
}

std::vector<std::string> BuildRemakeSparseIndexes(const schema::Catalog& /*catalog*/,
                                                  const Entity& entity, Dialect dialect) {
  std::vector<std::string> statements;
  if (!entity.derived.empty()) return statements;
  for (const TableIndex& idx : TableIndexes(entity, dialect)) {
    if (idx.kind != TableIndex::kSparse) continue;
    statements.push_back("DROP INDEX IF EXISTS " + idx.Name(entity, dialect));
    statements.push_back(idx.Create(entity, /*if_not_exists=*/false, dialect));
  }
  return statements;
}

std::vector<std::string> BuildUniqueWhereSetIndexes(const schema::Catalog& /*catalog*/,
                                                    const Entity& entity, Dialect dialect) {
  std::vector<std::string> statements;
  if (!entity.derived.empty() || dialect != Dialect::kPostgres) return statements;
  for (const TableIndex& idx : TableIndexes(entity, dialect)) {
    if (idx.kind != TableIndex::kUniqueWhereSet) continue;
    // The constraint's index goes with it; a table made with the partial
    // index already (a new database) keeps that.
    statements.push_back("ALTER TABLE " + entity.table + " DROP CONSTRAINT IF EXISTS " +
                         idx.Name(entity, dialect));
    statements.push_back(idx.Create(entity, /*if_not_exists=*/true, dialect));
  }
  return statements;
}

}  // namespace kith::store::internal
