#include "entities/contact_filters.h"

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"

namespace kith::entities {
namespace {

using store::Condition;
using store::Op;
using store::Query;

std::optional<Op> ParseOperator(const std::string& text) {
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

// Lists arrive as JSON arrays or, from form brackets, as objects keyed 0, 1, ...
Value AsList(const Value& v) {
  if (v.is_array()) return v;
  Value list = Value::array();
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) list.push_back(x);
  } else if (v.is_string()) {
    for (std::string_view part : Split(v.get<std::string>(), ',', true)) {
      list.push_back(std::string(TrimAscii(part)));
    }
  } else {
    list.push_back(v);
  }
  return list;
}

Value Scalar(const Value& v) {
  if (v.is_string() || v.is_number() || v.is_boolean() || v.is_null()) return v;
  return api::ValueAsText(v);
}

bool IsOperatorObject(const Value& v) {
  return v.is_object() && v.size() == 1 && !ParseInt64(v.begin().key()).has_value();
}

// One criterion on one path.
StatusOr<Condition> Match(const std::string& path, const std::string& key, const Value& value,
                          bool substring, const ContactFilterOptions& options) {
  if (IsOperatorObject(value)) {
    std::string op_text = value.begin().key();
    const Value& operand = value.begin().value();
    auto op = ParseOperator(op_text);
    if (!op) return InvalidArgument("invalid operator " + op_text + " for " + key);
    switch (*op) {
      case Op::kIn:
      case Op::kNotIn: return Condition::Leaf(path, *op, AsList(operand));
      case Op::kBetween:
      case Op::kNotBetween: {
        Value list = AsList(operand);
        if (list.size() != 2) return InvalidArgument(op_text + " needs two values for " + key);
        return Condition::Leaf(path, *op, list);
      }
      case Op::kIsNull:
      case Op::kIsNotNull: return Condition::Leaf(path, *op);
      default: return Condition::Leaf(path, *op, Scalar(operand));
    }
  }
  if (value.is_object() || value.is_array()) return Condition::Leaf(path, Op::kIn, AsList(value));
  std::string text = api::ValueAsText(value);
  if (options.percent_means_like && text.find('%') != std::string::npos) {
    return Condition::Leaf(path, Op::kLike, text);
  }
  if (substring) return Condition::Leaf(path, Op::kContains, text);
  return Condition::Leaf(path, Op::kEq, Scalar(value));
}

Condition AnyRecord(const std::string& entity, std::vector<Condition> match) {
  Query sub;
  sub.entity = entity;
  sub.select = {"contact_id"};
  sub.where = match.size() == 1 ? std::move(match[0]) : Condition::Or(std::move(match));
  return Condition::InQuery("id", std::move(sub));
}

}  // namespace

StatusOr<ContactFilter> BuildContactFilter(const schema::Catalog& catalog, const Value& criteria,
                                           const ContactFilterOptions& options) {
  const schema::Entity* contact = catalog.Find("Contact");
  ContactFilter filter;
  std::vector<Condition> all;
  auto add = [&](StatusOr<Condition> c) -> Status {
    if (!c.ok()) return c.status();
    all.push_back(std::move(*c));
    return Status();
  };
  for (const auto& [key, value] : criteria.items()) {
    if (key == "contact_id" || key == "id") {
      KITH_RETURN_IF_ERROR(add(Match("id", key, value, false, options)));
    } else if (key == "is_deleted" || key == "contact_is_deleted") {
      filter.mentions_trash = true;
      KITH_RETURN_IF_ERROR(add(Match("is_deleted", key, value, false, options)));
    } else if (key == "contact_source") {
      KITH_RETURN_IF_ERROR(add(Match("source", key, value, false, options)));
    } else if (key == "sort_name" || key == "display_name") {
      KITH_RETURN_IF_ERROR(add(Match(key, key, value, true, options)));
    } else if (key == "email") {
      KITH_ASSIGN_OR_RETURN(Condition c, Match("email", key, value, options.email_substring, options));
      all.push_back(AnyRecord("Email", {std::move(c)}));
    } else if (key == "phone") {
      KITH_ASSIGN_OR_RETURN(Condition c, Match("phone", key, value, false, options));
      all.push_back(AnyRecord("Phone", {std::move(c)}));
    } else if (key == "street_address" || key == "city" || key == "postal_code" ||
               key == "postal_code_suffix" || key == "supplemental_address_1") {
      KITH_ASSIGN_OR_RETURN(Condition c, Match(key, key, value, false, options));
      all.push_back(AnyRecord("Address", {std::move(c)}));
    } else if (key == "state_province" || key == "state_province_id" || key == "country" ||
               key == "country_id") {
      bool state = key.rfind("state", 0) == 0;
      std::string fk = state ? "state_province_id" : "country_id";
      std::string code = state ? ".abbreviation" : ".iso_code";
      std::vector<Condition> any;
      for (const std::string& path : {fk + ".name", fk + code, fk}) {
        KITH_ASSIGN_OR_RETURN(Condition c, Match(path, key, value, false, options));
        any.push_back(std::move(c));
      }
      all.push_back(AnyRecord("Address", std::move(any)));
    } else if (key == "gender" || key == "individual_prefix" || key == "individual_suffix") {
      std::string path = key == "gender" ? "gender_id:label"
                         : key == "individual_prefix" ? "prefix_id:label"
                                                      : "suffix_id:label";
      KITH_RETURN_IF_ERROR(add(Match(path, key, value, false, options)));
    } else if (const schema::Field* f = contact->FindField(key); f != nullptr && !f->internal) {
      KITH_RETURN_IF_ERROR(add(Match(key, key, value, false, options)));
    } else {
      filter.unknown.push_back(key);
    }
  }
  filter.condition = Condition::And(std::move(all));
  return filter;
}

}  // namespace kith::entities
