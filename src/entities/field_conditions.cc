#include "entities/field_conditions.h"

#include <utility>
#include <vector>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::entities {

using store::Condition;
using store::Op;

std::optional<Op> ParseFilterOperator(const std::string& text) {
  static const std::vector<std::pair<const char*, Op>> kOps = {
      {"=", Op::kEq},         {"!=", Op::kNe},         {"<>", Op::kNe},
      {">", Op::kGt},         {">=", Op::kGe},         {"<", Op::kLt},
      {"<=", Op::kLe},        {"IN", Op::kIn},         {"NOT IN", Op::kNotIn},
      {"LIKE", Op::kLike},    {"NOT LIKE", Op::kNotLike}, {"BETWEEN", Op::kBetween},
      {"NOT BETWEEN", Op::kNotBetween}, {"IS NULL", Op::kIsNull}, {"IS NOT NULL", Op::kIsNotNull}};
  std::string upper;
  for (char c : text) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  for (const auto& [name, op] : kOps) {
    if (upper == name) return op;
  }
  return std::nullopt;
}

bool IsOperatorObject(const Value& v) {
  return v.is_object() && v.size() == 1 && !ParseInt64(v.begin().key()).has_value();
}

Value FilterList(const Value& v) {
  if (v.is_array()) return v;
  Value list = Value::array();
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) list.push_back(x);
  } else if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    for (std::string_view part : Split(text, ',', true)) {
      list.push_back(std::string(TrimAscii(part)));
    }
  } else {
    list.push_back(v);
  }
  return list;
}

namespace {

Value Scalar(const Value& v) {
  if (v.is_string() || v.is_number() || v.is_boolean() || v.is_null()) return v;
  return api::ValueAsText(v);
}

}  // namespace

StatusOr<Condition> BuildFieldCondition(const std::string& path, const std::string& key,
                                        const Value& value, const FieldMatchOptions& options) {
  if (IsOperatorObject(value)) {
    std::string op_text = value.begin().key();
    const Value& operand = value.begin().value();
    auto op = ParseFilterOperator(op_text);
    if (!op) return InvalidArgument("invalid operator " + op_text + " for " + key);
    switch (*op) {
      case Op::kIn:
      case Op::kNotIn: return Condition::Leaf(path, *op, FilterList(operand));
      case Op::kBetween:
      case Op::kNotBetween: {
        Value list = FilterList(operand);
        if (list.size() != 2) return InvalidArgument(op_text + " needs two values for " + key);
        return Condition::Leaf(path, *op, list);
      }
      case Op::kIsNull:
      case Op::kIsNotNull: return Condition::Leaf(path, *op);
      default: return Condition::Leaf(path, *op, Scalar(operand));
    }
  }
  if (value.is_object() || value.is_array()) return Condition::Leaf(path, Op::kIn, FilterList(value));
  std::string text = api::ValueAsText(value);
  if (options.percent_means_like && text.find('%') != std::string::npos) {
    return Condition::Leaf(path, Op::kLike, text);
  }
  if (options.substring) return Condition::Leaf(path, Op::kContains, text);
  return Condition::Leaf(path, Op::kEq, Scalar(value));
}

}  // namespace kith::entities
