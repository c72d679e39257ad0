#include "base/error_details.h"

#include "base/request_limits.h"

namespace kith {
namespace {
constexpr char kDetailsUrl[] = "kith/error-details";
}  // namespace

Status ErrorWithDetails(absl::StatusCode code, std::string_view message,
                        const Value& details) {
  Status status(code, absl::string_view(message.data(), message.size()));
  if (details.is_object() && !details.empty()) {
    status.SetPayload(kDetailsUrl, absl::Cord(details.dump()));
  }
  return status;
}

Value ErrorDetails(const Status& status) {
  auto payload = status.GetPayload(kDetailsUrl);
  if (!payload) return Value::object();
  Value parsed = Value::parse(std::string(*payload), nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed : Value::object();
}

Status InvalidArgument(std::string_view m, const Value& d) {
  return ErrorWithDetails(absl::StatusCode::kInvalidArgument, m, d);
}
Status NotFound(std::string_view m, const Value& d) {
  return ErrorWithDetails(absl::StatusCode::kNotFound, m, d);
}
Status AlreadyExists(std::string_view m, const Value& d) {
  return ErrorWithDetails(absl::StatusCode::kAlreadyExists, m, d);
}
Status PermissionDenied(std::string_view m, const Value& d) {
  return ErrorWithDetails(absl::StatusCode::kPermissionDenied, m, d);
}
Status Unauthenticated(std::string_view m, const Value& d) {
  return ErrorWithDetails(absl::StatusCode::kUnauthenticated, m, d);
}
Status ResourceExhausted(std::string_view m, const Value& d) {
  return ErrorWithDetails(absl::StatusCode::kResourceExhausted, m, d);
}
Status Internal(std::string_view m) { return Status(absl::StatusCode::kInternal, absl::string_view(m.data(), m.size())); }


Status TooLarge(std::string_view m) {
  return ErrorWithDetails(absl::StatusCode::kResourceExhausted, m, {{"error_code", "too_large"}});
}
bool IsTooLarge(const Status& s) {
  return s.code() == absl::StatusCode::kResourceExhausted &&
         ErrorDetails(s).value("error_code", Value()) == "too_large";
}

}  // namespace kith
