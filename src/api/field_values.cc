#include "api/field_values.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::api {
namespace {

using schema::FieldType;

Status Invalid(const schema::Field& field, const Value& input) {
  std::string shown = input.is_string() ? input.get<std::string>() : input.dump();
  std::string type_name;
  switch (field.type) {
    case FieldType::kInt: type_name = "integer"; break;
    case FieldType::kBool: type_name = "boolean"; break;
    case FieldType::kDate: type_name = "date"; break;
    case FieldType::kDateTime: type_name = "date"; break;
    case FieldType::kFloat:
    case FieldType::kMoney: type_name = "number"; break;
    default: type_name = "string"; break;
  }
  // CiviCRM's APIv3 checks dates and amounts with a plain exception: its
  // answer carries the message only (and its words for an amount).
  if (type_name == "date") {
    return InvalidArgument(field.name + " is not a valid date: " + shown, {{"error_plain", true}});
  }
  if (field.type == FieldType::kMoney) {
    return InvalidArgument(field.name + " is  not a valid amount: " + shown, {{"error_plain", true}});
  }
  return InvalidArgument(field.name + " is not a valid " + type_name + ": " + shown,
                         {{"error_code", 2001}, {"error_field", field.name}});
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> NormalizeDate(const std::string& raw, bool with_time) {
  std::string text(TrimAscii(raw));
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != '-' && c != ' ' && c != ':' && c != 'T' && c != '/') {
      return std::nullopt;
    }
  }
  // Accept the separated forms only when their parts have the usual widths.
  bool separated = text.find('-') != std::string::npos || text.find('/') != std::string::npos;
  if (separated) {
    if (text.size() < 10 || !AllDigits(text.substr(0, 4)) || !AllDigits(text.substr(5, 2)) ||
        !AllDigits(text.substr(8, 2))) {
      return std::nullopt;
    }
  } else if (digits.size() != text.size()) {
    return std::nullopt;
  }
  if (digits.size() != 8 && digits.size() != 12 && digits.size() != 14) return std::nullopt;
  int y = std::stoi(digits.substr(0, 4));
  int m = std::stoi(digits.substr(4, 2));
  int d = std::stoi(digits.substr(6, 2));
  int hh = 0, mm = 0, ss = 0;
  if (digits.size() >= 12) {
    hh = std::stoi(digits.substr(8, 2));
    mm = std::stoi(digits.substr(10, 2));
  }
  if (digits.size() == 14) ss = std::stoi(digits.substr(12, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) return std::nullopt;
  int max_day = kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
  if (d > max_day || hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  char buf[80];
  if (with_time) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, hh, mm, ss);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  }
  return std::string(buf);
}

StatusOr<Value> CoerceFieldValue(const schema::Field& field, const Value& input) {
  if (input.is_null()) return Value(nullptr);
  if (field.serialized && (input.is_array() || input.is_object())) {
    std::vector<std::string> values;
    if (input.is_array()) {
      for (const Value& v : input) values.push_back(ValueAsText(v));
    } else {
      for (const auto& [k, v] : input.items()) {
        if (ValueAsText(v) != "" && ValueAsText(v) != "0") values.push_back(k);
      }
    }
    return Value(schema::JoinStoredValues(field, values));
  }
  if (input.is_object() || input.is_array()) return Invalid(field, input);
  switch (field.type) {
    case FieldType::kInt: {
      if (input.is_number_integer()) return input;
      if (input.is_boolean()) return Value(input.get<bool>() ? 1 : 0);
      if (input.is_number_float()) {
        double d = input.get<double>();
        if (std::floor(d) == d) return Value(static_cast<int64_t>(d));
        return Invalid(field, input);
      }
      std::string s(TrimAscii(input.get<std::string>()));
      if (s.empty()) return Value(nullptr);
      if (auto n = ParseInt64(s)) return Value(*n);
      return Invalid(field, input);
    }
    case FieldType::kBool: {
      if (input.is_boolean()) return input;
      if (input.is_number_integer()) {
        int64_t n = input.get<int64_t>();
        if (n == 0 || n == 1) return Value(n == 1);
        return Invalid(field, input);
      }
      if (!input.is_string()) return Invalid(field, input);
      std::string s = AsciiLower(TrimAscii(input.get<std::string>()));
      if (s == "1" || s == "true" || s == "yes") return Value(true);
      if (s == "0" || s == "false" || s == "no" || s.empty()) return Value(false);
      return Invalid(field, input);
    }
    case FieldType::kDate:
    case FieldType::kDateTime: {
      std::string s = input.is_string() ? input.get<std::string>() : input.dump();
      if (TrimAscii(s).empty()) return Value(nullptr);
      auto d = NormalizeDate(s, field.type == FieldType::kDateTime);
      if (!d) return Invalid(field, input);
      return Value(*d);
    }
    case FieldType::kFloat:
    case FieldType::kMoney: {
      if (input.is_number()) return input;
      if (!input.is_string()) return Invalid(field, input);
      std::string s(TrimAscii(input.get<std::string>()));
      if (s.empty()) return Value(nullptr);
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end == nullptr || *end != '\0' || !std::isfinite(d)) return Invalid(field, input);
      return Value(d);
    }
    case FieldType::kString:
    case FieldType::kText: {
      std::string s = input.is_string() ? input.get<std::string>() : ValueAsText(input);
      if (field.max_length > 0) {
        // Count characters, not bytes (UTF-8 continuation bytes don't start one).
        int chars = 0;
        for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
        if (chars > field.max_length) {
          return InvalidArgument(field.name + " is too long (at most " +
                                     std::to_string(field.max_length) + " characters)",
                                 {{"error_code", 2001}, {"error_field", field.name}});
        }
      }
      return Value(s);
    }
  }
  return Invalid(field, input);
}

std::string ValueAsText(const Value& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    return buf;
  }
  return value.dump();
}

std::string_view CellAsText(const Cell& cell, std::string& scratch) {
  switch (cell.kind) {
    case Cell::Kind::kNull: return "";  // not {}: a view with no data pointer
    case Cell::Kind::kText: return cell.text;
    case Cell::Kind::kInt: {
      // Written in place (std::to_string made a text to move in).
      char digits[24];
      auto written = std::to_chars(digits, digits + sizeof digits, cell.integer);
      scratch.assign(digits, written.ptr);
      return scratch;
    }
    default: scratch = ValueAsText(cell.ToValue()); return scratch;
  }
}

std::string MysqlDateDigits(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits;
}

}  // namespace kith::api
