#include "server/route_helpers.h"

#include "base/error_details.h"
#include "base/request_limits.h"
#include "base/strings.h"

namespace kith::server {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool RawParamsWantJson(std::string_view urlencoded) {
  for (std::string_view pair : Split(urlencoded, '&', true)) {
    if (pair.rfind("json=", 0) == 0 && pair.size() > 5 && pair.substr(5) != "0") return true;
  }
  return false;
}

int HonestStatus(const Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument: return 400;
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

Status CheckAnswerSize(std::string_view body, const RequestLimits& limits) {
  if (static_cast<int64_t>(body.size()) <= limits.max_answer_bytes) return Status();
  return TooLarge("The answer would be larger than " + std::to_string(limits.max_answer_bytes) +
                  " bytes");
}

Status InsecureCredentials() {
  return PermissionDenied(
      "Credentials are refused over plain HTTP: connect with HTTPS (kith.toml "
      "require_secure_credentials).");
}

bool IsThrottled(const Status& s) { return s.code() == absl::StatusCode::kResourceExhausted; }

bool IsUncheckedCredential(const Status& s) {
  return IsThrottled(s) || s.code() == absl::StatusCode::kUnavailable;
}

void AddRetryAfter(const Status& s, std::vector<std::pair<std::string, std::string>>& headers) {
  if (!IsThrottled(s)) return;
  Value seconds = ErrorDetails(s).value("retry_after", Value(1));
  headers.emplace_back("Retry-After",
                       std::to_string(seconds.is_number_integer() ? seconds.get<int64_t>() : 1));
}

}  // namespace kith::server
