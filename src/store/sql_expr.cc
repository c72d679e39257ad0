#include "store/sql_expr.h"

#include <cctype>
#include <cstdlib>

#include "base/error_details.h"

namespace kith::store {
namespace {

using schema::FieldType;

constexpr SqlFunctionInfo kFunctions[] = {
    {"COUNT", true, 1, 1, SqlResult::kFixed, FieldType::kInt},
    {"SUM", true, 1, 1, SqlResult::kFirstArg, FieldType::kString},
    {"AVG", true, 1, 1, SqlResult::kFixed, FieldType::kFloat},
    {"MIN", true, 1, 1, SqlResult::kFirstArg, FieldType::kString},
    {"MAX", true, 1, 1, SqlResult::kFirstArg, FieldType::kString},
    {"GROUP_CONCAT", true, 1, 1, SqlResult::kList, FieldType::kString},
    {"COALESCE", false, 1, -1, SqlResult::kFirstArg, FieldType::kString},
    {"IFNULL", false, 2, 2, SqlResult::kFirstArg, FieldType::kString},
    {"NULLIF", false, 2, 2, SqlResult::kFirstArg, FieldType::kString},
    {"IF", false, 3, 3, SqlResult::kSecondArg, FieldType::kString},
    {"ISNULL", false, 1, 1, SqlResult::kFixed, FieldType::kBool},
    {"GREATEST", false, 2, -1, SqlResult::kFirstArg, FieldType::kString},
    {"LEAST", false, 2, -1, SqlResult::kFirstArg, FieldType::kString},
    {"CONCAT", false, 1, -1, SqlResult::kFixed, FieldType::kString},
    {"CONCAT_WS", false, 2, -1, SqlResult::kFixed, FieldType::kString},
    {"LOWER", false, 1, 1, SqlResult::kFixed, FieldType::kString},
    {"UPPER", false, 1, 1, SqlResult::kFixed, FieldType::kString},
    {"REPLACE", false, 3, 3, SqlResult::kFixed, FieldType::kString},
    {"LEFT", false, 2, 2, SqlResult::kFixed, FieldType::kString},
    {"RIGHT", false, 2, 2, SqlResult::kFixed, FieldType::kString},
    {"SUBSTRING", false, 2, 3, SqlResult::kFixed, FieldType::kString},
    {"ROUND", false, 1, 2, SqlResult::kFixed, FieldType::kFloat},
    {"ABS", false, 1, 1, SqlResult::kFirstArg, FieldType::kString},
    {"YEAR", false, 1, 1, SqlResult::kFixed, FieldType::kInt},
    {"MONTH", false, 1, 1, SqlResult::kFixed, FieldType::kInt},
    {"QUARTER", false, 1, 1, SqlResult::kFixed, FieldType::kInt},
    {"DATE", false, 1, 1, SqlResult::kFixed, FieldType::kDate},
    {"TIME", false, 1, 1, SqlResult::kFixed, FieldType::kString},
};

bool IsDelimiter(char c) { return c == ' ' || c == ',' || c == '(' || c == ')'; }

bool IsNumber(std::string_view s) {
  if (s.empty()) return false;
  std::string text(s);
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  if (end == nullptr || *end != '\0') return false;
  // Digits only (no "inf", "0x1p3"): what PHP's is_numeric reads.
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+') return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  StatusOr<SqlExpr> Whole() {
    KITH_ASSIGN_OR_RETURN(SqlExpr e, Expr());
    SkipSpace();
    if (pos_ != s_.size()) return Unparsable();
    return e;
  }

 private:
  Status Unparsable() const {
    return InvalidArgument("Unable to parse sql expression: " + std::string(s_));
  }

  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  // `word` (upper case, as CiviCRM's keywords are) followed by a space or
  // the end of the arguments.
  bool Keyword(std::string_view word) {
    SkipSpace();
    if (s_.substr(pos_, word.size()) != word) return false;
    size_t after = pos_ + word.size();
    if (after < s_.size() && s_[after] != ' ' && s_[after] != ')') return false;
    pos_ = after;
    return true;
  }

  StatusOr<SqlExpr> Expr() {
    SkipSpace();
    if (pos_ >= s_.size()) return Unparsable();
    SqlExpr e;
    char quote = s_[pos_];
    if (quote == '\'' || quote == '"') {
      e.kind = SqlExpr::Kind::kString;
      for (++pos_; pos_ < s_.size(); ++pos_) {
        char c = s_[pos_];
        if (c == '\\' && pos_ + 1 < s_.size()) {
          e.text += s_[++pos_];
        } else if (c == quote) {
          ++pos_;
          return e;
        } else {
          e.text += c;
        }
      }
      return Unparsable();  // no closing quote
    }
    size_t start = pos_;
    while (pos_ < s_.size() && !IsDelimiter(s_[pos_])) ++pos_;
    std::string token(s_.substr(start, pos_ - start));
    if (pos_ < s_.size() && s_[pos_] == '(') return Function(std::move(token));
    if (token.empty()) return Unparsable();
    if (token == "NULL") {
      e.kind = SqlExpr::Kind::kNull;
    } else if (token == "*") {
      e.kind = SqlExpr::Kind::kStar;
    } else if (IsNumber(token)) {
      e.kind = SqlExpr::Kind::kNumber;
    }
    e.text = std::move(token);
    return e;
  }

  StatusOr<SqlExpr> Function(std::string name) {
    if (name.empty()) return Unparsable();  // an equation "(a + b)": not kith's
    for (char c : name) {
      if (std::islower(static_cast<unsigned char>(c))) {
        return InvalidArgument("Sql function must be uppercase.");
      }
    }
    const SqlFunctionInfo* info = FindSqlFunction(name);
    if (info == nullptr) return Unparsable();
    ++pos_;  // '('
    SqlExpr e;
    e.kind = SqlExpr::Kind::kFunction;
    e.text = name;
    bool list = info->result == SqlResult::kList;
    if (info->aggregate && Keyword("DISTINCT")) e.distinct = true;
    SkipSpace();
    while (pos_ < s_.size() && s_[pos_] != ')') {
      size_t before = pos_;
      if (list && (Keyword("ORDER BY") || Keyword("SEPARATOR"))) {
        pos_ = before;
        break;
      }
      KITH_ASSIGN_OR_RETURN(SqlExpr arg, Expr());
      if (arg.kind == SqlExpr::Kind::kStar && name != "COUNT") return Unparsable();
      e.args.push_back(std::move(arg));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        SkipSpace();
        continue;
      }
      break;
    }
    if (list && Keyword("ORDER BY")) {
      KITH_ASSIGN_OR_RETURN(SqlExpr by, Expr());
      if (by.kind != SqlExpr::Kind::kField) return Unparsable();
      e.order_by.push_back(std::move(by));
      if (Keyword("DESC")) {
        e.order_descending = true;
      } else {
        Keyword("ASC");
      }
    }
    if (list && Keyword("SEPARATOR")) {
      KITH_ASSIGN_OR_RETURN(SqlExpr sep, Expr());
      if (sep.kind != SqlExpr::Kind::kString) return Unparsable();
      e.separator = sep.text;
    }
    SkipSpace();
    if (pos_ >= s_.size() || s_[pos_] != ')') {
      return InvalidArgument("Too many arguments given for SQL function " + name);
    }
    ++pos_;
    int n = static_cast<int>(e.args.size());
    if (n < info->min_args) {
      return InvalidArgument("Too few arguments to param " + std::to_string(n + 1) +
                             " for SQL function " + name);
    }
    if (info->max_args >= 0 && n > info->max_args) {
      return InvalidArgument("Too many arguments given for SQL function " + name);
    }
    return e;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

template <typename E, typename Out>
void CollectFields(E& e, Out& out) {
  if (e.kind == SqlExpr::Kind::kField) out.push_back(&e);
  for (auto& a : e.args) CollectFields(a, out);
  for (auto& o : e.order_by) CollectFields(o, out);
}

}  // namespace

std::vector<const SqlExpr*> SqlExpr::Fields() const {
  std::vector<const SqlExpr*> out;
  CollectFields(*this, out);
  return out;
}

std::vector<SqlExpr*> SqlExpr::MutableFields() {
  std::vector<SqlExpr*> out;
  CollectFields(*this, out);
  return out;
}

const SqlFunctionInfo* FindSqlFunction(std::string_view name) {
  for (const SqlFunctionInfo& f : kFunctions) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

StatusOr<SqlExpr> ParseSqlExpr(std::string_view text) { return Parser(text).Whole(); }

std::string FormatSqlExpr(const SqlExpr& e) {
  switch (e.kind) {
    case SqlExpr::Kind::kString: return Quoted(e.text);
    case SqlExpr::Kind::kNull: return "NULL";
    case SqlExpr::Kind::kStar: return "*";
    case SqlExpr::Kind::kField:
    case SqlExpr::Kind::kNumber: return e.text;
    case SqlExpr::Kind::kFunction: break;
  }
  std::string out = e.text + "(";
  if (e.distinct) out += "DISTINCT ";
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i > 0) out += ", ";
    out += FormatSqlExpr(e.args[i]);
  }
  if (!e.order_by.empty()) {
    out += " ORDER BY " + FormatSqlExpr(e.order_by[0]) + (e.order_descending ? " DESC" : " ASC");
  }
  if (e.separator) out += " SEPARATOR " + Quoted(*e.separator);
  return out + ")";
}

bool HasAggregate(const SqlExpr& e) {
  if (!e.is_function()) return false;
  const SqlFunctionInfo* info = FindSqlFunction(e.text);
  if (info != nullptr && info->aggregate) return true;
  for (const SqlExpr& a : e.args) {
    if (HasAggregate(a)) return true;
  }
  return false;
}

}  // namespace kith::store
