// Parsing of an APIv4 REST request (shared/PROTOCOL.md C.3.1, C.3.2): which
// calls it carries (one on /civicrm/ajax/api4/<Entity>/<action>, or several
// with `calls=` on /civicrm/ajax/api4), their params and index, and the
// credentials authx would look at. No business rules: what a credential is
// worth is decided by auth, what a call means by the API.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/request_limits.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::wire::v4 {

// One call as the client named it.
struct V4Call {
  std::string entity;
  std::string action;
  Value params = Value::object();
  // null: none; an integer (the record at that position), a string (values
  // keyed by that field) or {"key_field": "value_field"} (a map).
  Value index;
};

// The credential of a request, in authx's order of precedence:
// X-Civi-Auth (flow "xheader"), Authorization ("header"), _authx= ("param"),
// api_key= with key= ("legacyrest").
struct V4Credential {
  enum class Kind { kNone, kBearer, kBasic, kMalformed };
  Kind kind = Kind::kNone;
  std::string flow;      // "xheader", "header", "param", "legacyrest"
  std::string token;     // Bearer: the api key; Basic: the user name
  std::string password;  // Basic only
};

// The last part of the path that asks for the OpenAPI document.
inline constexpr std::string_view kOpenApiName = "openapi.json";

struct V4Request {
  bool openapi = false;         // /civicrm/ajax/api4/openapi.json: no calls
  bool multi = false;           // the calls= form
  bool calls_list = false;      // calls= given as a JSON list: the answer is a list
  std::vector<std::pair<std::string, V4Call>> calls;  // single form: one, named ""
  V4Credential credential;
  std::string site_key;         // X-Civi-Key, _authxSiteKey=, or key= with api_key=
  std::string session_id;       // the PHPSESSID cookie (browser session)
  bool xhr = false;             // X-Requested-With: XMLHttpRequest
};

// The parts of an HTTP request the parser reads.
struct V4RawRequest {
  std::string_view path_tail;     // after "/civicrm/ajax/api4": "", "/Contact/get"
  std::string_view query;         // raw query string
  std::string_view content_type;  // header value
  std::string_view body;
  std::string_view x_civi_auth;
  std::string_view authorization;
  std::string_view x_civi_key;
  std::string_view x_requested_with;
  std::string_view cookie;
};

// Parses `raw`. Parameters come from the query string and a form body
// (urlencoded or multipart) as PHP merges them, or from a JSON body: either
// {"params": {...}|"<json>", "index": ..., "calls": ...} or the params
// object itself. Errors (kInvalidArgument, message naming the parameter):
// params/calls that are not JSON objects, a malformed calls entry, a path
// other than "" or "/<Entity>/<action>", calls missing on the multi form,
// JSON nested deeper than limits.max_nesting_depth. The path
// "/openapi.json" carries no call (`openapi`), only the credential. TooLarge: more than
// limits.max_parameters form fields or members of one JSON object, more than
// limits.max_multi_calls calls.
StatusOr<V4Request> ParseV4Request(const V4RawRequest& raw,
                                   const RequestLimits& limits = RequestLimits());

// Parses JSON text into a Value without throwing (base/json_parse.h):
// kInvalidArgument naming `what` when the text is not JSON or nests deeper
// than limits.max_nesting_depth; TooLarge past limits.max_parameters members.
StatusOr<Value> ParseJsonParam(std::string_view text, std::string_view what,
                               const RequestLimits& limits = RequestLimits());

// The credential in an authx header or _authx value ("Bearer X",
// "Basic <base64 user:pass>"); kMalformed for anything else that is not empty.
V4Credential ParseCredential(std::string_view value, std::string flow);

}  // namespace kith::wire::v4
