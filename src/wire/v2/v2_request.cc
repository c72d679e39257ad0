#include "wire/v2/v2_request.h"
#include "wire/common/munge.h"

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::wire::v2 {
namespace {

// A parameter's text: a string as it is, another scalar as JSON, a list
// or bracket object as "".
std::string Text(const Value& v) {
  return v.is_string() ? v.get<std::string>() : (v.is_object() || v.is_array() ? "" : v.dump());
}

}  // namespace

StatusOr<V2Request> ParseV2Request(const Value& params, std::string_view function,
                                   std::string_view cookie_session) {
  return ParseV2Request(Value(params), function, cookie_session);
}

StatusOr<V2Request> ParseV2Request(Value&& params, std::string_view function,
                                   std::string_view cookie_session) {
  V2Request req;
  // The '/'-separated parts of the function, counted all, the first three
  // kept (no list made per request).
  std::string_view parts[3];
  size_t count = 0;
  for (std::string_view rest = function;; ++count) {
    size_t slash = rest.find('/');
    if (count < 3) parts[count] = rest.substr(0, slash);
    if (slash == std::string_view::npos) {
      ++count;
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  if (parts[0] != "civicrm") return InvalidArgument("Unknown function invocation.");
  if (count == 2 && parts[1] == "login") {
    req.kind = V2Request::Kind::kLogin;
  } else if (count == 2 && parts[1] == "ping") {
    req.kind = V2Request::Kind::kPing;
  } else if (count == 2 && parts[1] == "logout") {
    req.kind = V2Request::Kind::kLogout;
  } else if (count == 3 && !parts[1].empty() && !parts[2].empty()) {
    req.entity = Munge(parts[1]);
    req.action = Munge(parts[2]);
  } else {
    return InvalidArgument("Unknown function invocation.");
  }
  // One pass over the parameters (their keys are distinct): the envelope's
  // own and, in their order, those the API gets, moved there. The members
  // are walked as the object's own pairs and their names compared as views
  // (a length first): items() made texts per member, and comparing a text
  // with a C string measures the C string first.
  std::string json, version;
  auto& passed = static_cast<Value::object_t::Container&>(req.params.get_ref<Value::object_t&>());
  passed.reserve(params.size());
  if (params.is_object()) {
    for (auto& member : static_cast<Value::object_t::Container&>(params.get_ref<Value::object_t&>())) {
      const std::string_view k = member.first;
      Value& v = member.second;
      if (k == "json") {
        json = Text(v);
      } else if (k == "key") {
        req.site_key = Text(v);
      } else if (k != "q" && k != "fnName") {
        if (k == "api_key") {
          req.api_key = Text(v);
        } else if (k == "PHPSESSID") {
          req.session_id = Text(v);
        } else if (k == "name") {
          req.name = Text(v);
        } else if (k == "pass") {
          req.pass = Text(v);
        } else if (k == "version") {
          version = Text(v);
        }
        passed.emplace_back(member.first, std::move(v));
      }
    }
  }
  req.json = !json.empty() && json != "0";
  if (req.session_id.empty()) req.session_id = cookie_session;
  req.wants_v3 = version == "3";
  return req;
}

}  // namespace kith::wire::v2
