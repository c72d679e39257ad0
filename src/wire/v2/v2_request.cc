#include "wire/v2/v2_request.h"
#include "wire/common/munge.h"

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::wire::v2 {
namespace {

std::string Text(const Value& params, const char* key) {
  if (!params.contains(key)) return "";
  const Value& v = params[key];
  return v.is_string() ? v.get<std::string>() : (v.is_object() || v.is_array() ? "" : v.dump());
}


}  // namespace

StatusOr<V2Request> ParseV2Request(const Value& params, const std::string& function,
                                           const std::string& cookie_session) {
  V2Request req;
  std::vector<std::string_view> parts = Split(function, '/');
  if (parts.empty() || parts[0] != "civicrm") return InvalidArgument("Unknown function invocation.");
  if (parts.size() == 2 && parts[1] == "login") {
    req.kind = V2Request::Kind::kLogin;
  } else if (parts.size() == 2 && parts[1] == "ping") {
    req.kind = V2Request::Kind::kPing;
  } else if (parts.size() == 2 && parts[1] == "logout") {
    req.kind = V2Request::Kind::kLogout;
  } else if (parts.size() == 3 && !parts[1].empty() && !parts[2].empty()) {
    req.entity = Munge(parts[1]);
    req.action = Munge(parts[2]);
  } else {
    return InvalidArgument("Unknown function invocation.");
  }
  std::string json = Text(params, "json");
  req.json = !json.empty() && json != "0";
  req.site_key = Text(params, "key");
  req.api_key = Text(params, "api_key");
  req.session_id = Text(params, "PHPSESSID");
  if (req.session_id.empty()) req.session_id = cookie_session;
  req.name = Text(params, "name");
  req.pass = Text(params, "pass");
  req.wants_v3 = Text(params, "version") == "3";
  for (const auto& [k, v] : params.items()) {
    if (k == "q" || k == "fnName" || k == "json" || k == "key") continue;
    req.params[k] = v;
  }
  return req;
}

}  // namespace kith::wire::v2
