#include "wire/v4/v4_envelope.h"

#include <charconv>
#include <random>

#include "base/error_details.h"
#include "base/request_limits.h"
#include "wire/common/json_writer.h"

namespace kith::wire::v4 {
namespace {

std::string KeyText(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "1" : "";
  return v.dump();
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kResourceExhausted: return IsTooLarge(s) ? 413 : 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return 503;
    default: return 500;
  }
}

}  // namespace

std::string NewErrorId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(0, sizeof(kAlphabet) - 2);
  std::string id;
  for (int i = 0; i < 12; ++i) {
    if (i > 0 && i % 4 == 0) id += '-';
    id += kAlphabet[pick(rng)];
  }
  return id;
}

Value ApplyIndex(Value values, const Value& index) {
  if (index.is_null() || !values.is_array()) return values;
  if (index.is_number_integer()) {
    int64_t at = index.get<int64_t>();
    if (at < 0) at += static_cast<int64_t>(values.size());
    if (at < 0 || at >= static_cast<int64_t>(values.size())) return Value();
    return std::move(values[static_cast<size_t>(at)]);
  }
  std::string key_field;
  std::string value_field;
  if (index.is_string()) {
    key_field = index.get<std::string>();
  } else if (index.is_object() && !index.empty()) {
    key_field = index.begin().key();
    value_field = KeyText(index.begin().value());
  } else {
    return values;
  }
  Value out = Value::object();
  int64_t next = 0;
  for (const Value& row : values) {
    std::string key;
    if (row.is_object() && row.contains(key_field) && !row[key_field].is_null()) {
      key = KeyText(row[key_field]);
    } else {
      key = std::to_string(next++);  // PHP appends rows lacking the key
    }
    if (value_field.empty()) {
      out[key] = row;
    } else {
      out[key] = row.is_object() && row.contains(value_field) ? row[value_field] : Value();
    }
  }
  return out;
}

bool IndexFieldAdded(Value& params, const Value& index) {
  if (!index.is_string() || !params.is_object()) return false;
  auto select = params.find("select");
  if (select == params.end() || !select->is_array() || select->empty()) return false;
  for (const Value& s : *select) {
    if (s == "*" || s == index) return false;
  }
  select->push_back(index);
  return true;
}

Value SuccessEnvelope(const std::string& entity, const std::string& action, Value result,
                      const Value& index, bool drop_index_field) {
  Value values = Value::array();
  if (auto it = result.find("values"); it != result.end()) values = std::move(*it);
  int64_t fetched = values.is_array() ? static_cast<int64_t>(values.size()) : 0;
  Value out = Value::object();
  // Room for every key first: a growing ordered object copies its members
  // (their keys are const, so they are not moved), "values" and all.
  out.get_ref<Value::object_t&>().reserve(8 + result.size());
  out["values"] = ApplyIndex(std::move(values), index);
  if (drop_index_field) {
    for (Value& row : out["values"]) {
      if (row.is_object()) row.erase(index.get<std::string>());
    }
  }
  out["entity"] = entity;
  out["action"] = action;
  out["debug"] = nullptr;
  for (const auto& [k, v] : result.items()) {
    if (k != "values" && k != "count" && k != "countMatched") out[k] = v;
  }
  out["version"] = 4;
  out["count"] = result.contains("count") ? result["count"] : Value(fetched);
  out["countFetched"] = fetched;
  if (result.contains("countMatched")) out["countMatched"] = result["countMatched"];
  return out;
}

std::string StreamedEnvelopeTail(std::string_view entity, std::string_view action, int64_t fetched) {
  std::string tail;
  AppendStreamedEnvelopeTail(tail, entity, action, fetched);
  return tail;
}

void AppendStreamedEnvelopeTail(std::string& out, std::string_view entity, std::string_view action,
                                int64_t fetched) {
  // SuccessEnvelope's members after "values", written without building it
  // (every get by id ends with this).
  char count_text[24];
  const std::string_view count(count_text,
                               static_cast<size_t>(std::to_chars(count_text, count_text + sizeof count_text,
                                                                 fetched).ptr - count_text));
  using namespace std::string_view_literals;
  out.reserve(out.size() + 96 + entity.size() + action.size() + 2 * count.size());
  out += "],\"entity\":"sv;
  AppendJsonString(out, entity);
  out += ",\"action\":"sv;
  AppendJsonString(out, action);
  out += ",\"debug\":null,\"version\":4,\"count\":"sv;
  out += count;
  out += ",\"countFetched\":"sv;
  out += count;
  out += '}';
}

V4Error ErrorEnvelope(const Status& status) {
  V4Error e;
  e.http_status = HttpStatusOf(status);
  std::string id = NewErrorId();
  Value details = ErrorDetails(status);
  Value code = details.contains("error_code") ? details["error_code"] : Value(0);
  if (!code.is_string() && !code.is_number()) code = 0;
  std::string message(status.message());
  if (e.http_status == 500) {
    e.log_line = "APIv4 error " + id + ": " + status.ToString();
    message = "Sorry an error occurred and your request was not completed. (Error ID: " + id + ")";
    code = 0;
  }
  e.body = Value{{"error_id", id}, {"error_code", code}, {"error_message", message},
                 {"status", e.http_status}};
  return e;
}

Value PageError(int code, const std::string& message) {
  return Value{{"error_code", code}, {"error_message", message}};
}

}  // namespace kith::wire::v4
