// SqlExpr: APIv4's SQL expressions in select, having and orderBy
// ("COUNT(DISTINCT id)", "GROUP_CONCAT(first_name ORDER BY first_name ASC)",
// "CONCAT(first_name, ' ', last_name)", "YEAR(birth_date)"), parsed once
// here for the API (which resolves the field names and types the answer)
// and for the SQL builder (which renders each function per dialect). The
// functions are CiviCRM's SqlFunction classes that kith serves.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "schema/schema.h"

namespace kith::store {

struct SqlExpr {
  enum class Kind { kField, kString, kNumber, kNull, kStar, kFunction };
  Kind kind = Kind::kField;
  // kField: the field (or path); kString: the text; kNumber: its digits;
  // kFunction: the function's name (upper case).
  std::string text;
  bool distinct = false;       // FN(DISTINCT ...)
  std::vector<SqlExpr> args;   // kFunction: its arguments
  // GROUP_CONCAT's "ORDER BY field [ASC|DESC]" and "SEPARATOR 'text'".
  std::vector<SqlExpr> order_by;
  bool order_descending = false;
  std::optional<std::string> separator;

  bool is_function() const { return kind == Kind::kFunction; }
  // Every field named anywhere in the expression, in order.
  std::vector<const SqlExpr*> Fields() const;
  std::vector<SqlExpr*> MutableFields();
};

// What a function's value is typed as.
enum class SqlResult {
  kFirstArg,  // the type of its first argument (MAX, COALESCE, ...)
  kSecondArg, // IF: its first value
  kFixed,     // `SqlFunctionInfo::type`
  kList,      // GROUP_CONCAT: a text the API splits when no separator was given
};

struct SqlFunctionInfo {
  const char* name;
  bool aggregate;
  int min_args;
  int max_args;  // -1: any number
  SqlResult result;
  schema::FieldType type = schema::FieldType::kString;  // for kFixed
};

// The function called `name` (upper case), nullptr when kith has none.
const SqlFunctionInfo* FindSqlFunction(std::string_view name);

// Parses `text` (no " AS alias"). Plain field names parse as kField; a
// function's name and arity are checked against FindSqlFunction. Errors are
// kInvalidArgument in CiviCRM's words.
StatusOr<SqlExpr> ParseSqlExpr(std::string_view text);

// The text of `expr` in the syntax ParseSqlExpr reads (strings single-quoted).
std::string FormatSqlExpr(const SqlExpr& expr);

// Whether `expr` is, or holds, an aggregate function.
bool HasAggregate(const SqlExpr& expr);

}  // namespace kith::store
