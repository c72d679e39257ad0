#include "server/route_helpers.h"

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
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

}  // namespace kith::server
