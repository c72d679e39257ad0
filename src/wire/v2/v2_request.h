// Parsing of a CiviCRM 3.2 REST request (shared/PROTOCOL.md C.1.1-C.1.3):
// which function it names (q=civicrm/<entity>/<action>, or fnName= on the
// browser path), the reply format, and the credentials it carries. The
// remaining parameters go to the API as they are.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/value.h"

namespace kith::wire::v2 {

struct V2Request {
  enum class Kind { kCall, kLogin, kLogout, kPing };
  Kind kind = Kind::kCall;
  std::string entity;  // munged first segment ("contact", "group_contact")
  std::string action;  // second segment
  Value params = Value::object();  // everything but q/fnName/json/key
  bool json = false;
  std::string site_key;    // key=
  std::string api_key;     // api_key=
  std::string session_id;  // PHPSESSID (parameter, else cookie)
  std::string name, pass;  // login
  bool wants_v3 = false;   // version=3: route to APIv3
};

// `params` are the request's parameters (wire/common/form_params.h);
// `function` is the value of q= (or fnName=); `cookie_session` the PHPSESSID
// cookie. kInvalidArgument "Unknown function invocation." for a malformed
// function path.
StatusOr<V2Request> ParseV2Request(const Value& params, std::string_view function,
                                   std::string_view cookie_session);
// The same, the parameters the API gets moved out of `params` (left
// behind as null members), not copied.
StatusOr<V2Request> ParseV2Request(Value&& params, std::string_view function,
                                   std::string_view cookie_session);

}  // namespace kith::wire::v2
