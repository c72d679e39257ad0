#include "wire/v2/v2_envelope.h"

#include "base/error_details.h"
#include "base/strings.h"
#include "wire/common/json_writer.h"
#include "wire/common/xml_writer.h"

namespace kith::wire::v2 {
namespace {

constexpr char kXmlHead[] =
    "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n";
constexpr char kXmlTail[] = "</ResultSet>\n";

bool IsHierarchical(const Value& v) {
  if (!v.is_object() && !v.is_array()) return false;
  for (const auto& item : v.items()) {
    if (item.value().is_object() || item.value().is_array()) return true;
  }
  return false;
}

// The compact JSON of `v` after PHP's array_merge on the top level:
// integer keys are renumbered, so an object whose keys are all integers
// becomes a list. Written from `v` itself, without a renumbered copy.
std::string RenumberedJson(const Value& v) {
  if (!v.is_object() || v.empty()) return ToJson(v);
  for (const auto& [k, x] : v.items()) {
    if (!ParseInt64(k)) return ToJson(v);
  }
  std::string out = "[";
  bool first = true;
  for (const auto& [k, x] : v.items()) {
    if (!first) out += ',';
    first = false;
    AppendJson(out, x);
  }
  out += ']';
  return out;
}

}  // namespace

Value NormalizeV2Result(Value result) {
  if (!result.is_object() && !result.is_array()) {
    Value scalar = result;
    if (result.is_null() || result == false || result == 0 || result == "") scalar = 0;
    return Value{{"is_error", 0}, {"result", scalar}};
  }
  if (IsHierarchical(result)) return result;
  Value flat = result.is_array() ? Value::object() : std::move(result);
  if (!flat.contains("is_error")) flat["is_error"] = 0;
  return flat;
}

Value V2ErrorBody(const Status& status) {
  Value body{{"is_error", 1}, {"error_message", std::string(status.message())}};
  Value details = ErrorDetails(status);
  if (details.contains("error_data")) body["error_data"] = details["error_data"];
  return body;
}

Value V2RestError(const std::string& message) {
  return Value{{"error_message", message}, {"is_error", 1}};
}

std::string RenderV2Json(const Value& normalized) {
  std::string json = RenumberedJson(normalized);
  if (json.find(",{") == std::string::npos) return json;
  std::string out;
  out.reserve(json.size() + 16);
  // ",{" -> "\n,{" outside strings, as CRM_Utils_REST::output did; the
  // bytes between two such places copied at once.
  bool in_string = false;
  size_t copied = 0;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '"' && (i == 0 || json[i - 1] != '\\' || (i >= 2 && json[i - 2] == '\\'))) {
      in_string = !in_string;
    }
    if (!in_string && c == ',' && i + 1 < json.size() && json[i + 1] == '{') {
      out.append(json, copied, i - copied);
      out += '\n';
      copied = i;
    }
  }
  out.append(json, copied, std::string::npos);
  return out;
}

std::string RenderV2Xml(const Value& normalized) {
  std::string out = kXmlHead;
  if (IsHierarchical(normalized)) {
    // One <Result> per top-level entry; a scalar entry renders empty.
    for (const auto& item : normalized.items()) {
      out += "<Result>\n";
      if (item.value().is_object() || item.value().is_array()) {
        AppendXmlChildren(item.value(), 1, out);
      }
      out += "</Result>\n";
    }
  } else {
    out += "<Result>\n";
    AppendXmlChildren(normalized, 1, out);
    out += "</Result>\n";
  }
  out += kXmlTail;
  return out;
}

TextRows::Options RowsOptions(bool json) {
  TextRows::Options o;
  o.format = json ? TextRows::Format::kJson : TextRows::Format::kXml;
  o.separator = "\n,";
  o.id_key = "contact_id";
  return o;
}

void RowsFrame(bool json, std::string& head, std::string& tail) {
  head = json ? "[" : kXmlHead;
  tail = json ? "]" : kXmlTail;
}

}  // namespace kith::wire::v2
