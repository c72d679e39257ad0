// The CiviCRM 3.2 REST interface: q=civicrm/<entity>/<action> on any
// .../extern/rest.php path, fnName= on /civicrm/ajax/rest, with 3.2's order of
// checks (site key, login/ping, api key or session) and its envelopes.
#include "api/action_registry.h"
#include "auth/secrets.h"
#include "base/error_details.h"
#include "base/request_record.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "server/kith_service.h"
#include "server/paged_get.h"
#include "server/route_helpers.h"
#include "wire/common/form_params.h"
#include "wire/v2/v2_envelope.h"
#include "wire/v2/v2_request.h"

namespace kith::server {

using http::HttpRequest;
using http::HttpResponse;

namespace {
constexpr char kSiteKeyError[] =
    "Could not authenticate user, invalid site key. More info at: "
    "http://wiki.civicrm.org/confluence/display/CRMDOC/Command-line+Script+Configuration";
constexpr char kCsrfAlert[] =
    "SECURITY ALERT: Ajax requests can only be issued by javascript clients.";
constexpr char kPostOnly[] =
    "SECURITY: All requests that modify the database must be http POST, not GET.";
constexpr char kTooBusy[] = "Too many logins at once; try again in a moment.";
constexpr char kJsonType[] = "text/javascript; charset=UTF-8";
constexpr char kXmlType[] = "text/xml; charset=UTF-8";
}  // namespace

HttpResponse KithService::HandleV2(const HttpRequest& request, bool browser_path,
                                   Value* given_params) const {
  NoteProtocol("3.2");
  // json=1 may also come in a form body (3.2 read $_REQUEST). Read from
  // the parameters once they are parsed; from their raw text when they
  // cannot be.
  auto raw_json = [&] {
    return browser_path || RawParamsWantJson(request.query) ||
           (AsciiLower(request.Header("content-type"))
                    .rfind("application/x-www-form-urlencoded", 0) == 0 &&
            RawParamsWantJson(request.body));
  };
  bool json = browser_path;
  int error_status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  auto respond = [&](std::string body, int status) {
    HttpResponse r;
    r.status = status;
    r.headers = headers;
    r.content_type = json ? kJsonType : kXmlType;
    r.body = std::move(body);
    return r;
  };
  auto render = [&](const Value& body, int status) {
    return respond(json ? wire::v2::RenderV2Json(body) : wire::v2::RenderV2Xml(body), status);
  };
  // The answer to an error; `fail` also notes it as this request's error.
  auto error_answer = [&](const Status& s, bool rest_layer) {
    int status = options_.honest_http_status || request.Header("x-kith-honest-status") == "1"
                     ? HonestStatus(s)
                     : error_status;
    Value body = rest_layer ? wire::v2::V2RestError(std::string(s.message()))
                            : wire::v2::V2ErrorBody(s);
    AddRetryAfter(s, headers);
    return render(body, status);
  };
  auto fail = [&](const Status& s, bool rest_layer) {
    NoteError(s);
    return error_answer(s, rest_layer);
  };

  StatusOr<Value> own_params;
  if (given_params == nullptr) {
    own_params = wire::ParseRequestParams(request.query, request.Header("content-type"), request.body,
                                          options_.limits);
    if (!own_params.ok()) {
      json = raw_json();
      return fail(own_params.status(), true);
    }
    given_params = &*own_params;
  }
  Value& params = *given_params;
  // Viewed: ParseV2Request moves the parameters the API gets out of
  // `params`, never the function's.
  const Value* function_given = FindMember(params, browser_path ? "fnName" : "q");
  std::string_view function = function_given != nullptr && function_given->is_string()
                                  ? std::string_view(function_given->get_ref<const std::string&>())
                                  : std::string_view();
  std::string cookie = wire::CookieValue(request.Header("cookie"), "PHPSESSID");
  auto parsed = wire::v2::ParseV2Request(std::move(params), function, cookie);
  if (!parsed.ok()) {
    json = raw_json();
    return fail(parsed.status(), true);
  }
  wire::v2::V2Request& req = *parsed;
  json = browser_path || req.json;

  using Kind = wire::v2::V2Request::Kind;
  bool credentials = !req.api_key.empty() || !req.session_id.empty() || !req.name.empty() ||
                     !req.pass.empty();
  if (credentials && RefusesCredentials(request)) return fail(InsecureCredentials(), true);
  // The site key guards every call on extern/rest.php, login and ping too.
  // The browser path relies on its session cookie instead, as 3.2's did.
  if (!browser_path && !auth_.CheckSiteKey(req.site_key)) {
    return fail(Unauthenticated(kSiteKeyError), true);
  }
  if (req.kind == Kind::kPing) NoteCall("", "ping", true);
  if (req.kind == Kind::kLogin) NoteCall("", "login", true);
  if (req.kind == Kind::kLogout) NoteCall("", "logout", true);
  if (req.kind == Kind::kPing) {
    return render(Value{{"is_error", 0}, {"message", "PONG: "}}, 200);
  }
  if (req.kind == Kind::kLogin) {
    if (req.name.empty() || req.pass.empty()) {
      return fail(Unauthenticated("Invalid name / password."), true);
    }
    // Held back by earlier failures: refused before it waits for the pool.
    if (Status allowed = auth_.LoginAllowed(req.name, request.remote_address); !allowed.ok()) {
      return fail(allowed, true);
    }
    if (auto later = OnPasswordPool(
            request,
            [this, browser_path](const HttpRequest& r) { return HandleV2(r, browser_path); },
            error_answer(ResourceExhausted(kTooBusy), true))) {
      return *std::move(later);
    }
    auto login = auth_.Login(req.name, req.pass, request.remote_address);
    if (!login.ok()) return fail(login.status(), true);
    headers.emplace_back("Set-Cookie", "PHPSESSID=" + login->session_id + "; Path=/; HttpOnly; SameSite=Lax");
    return render(Value{{"is_error", 0},
                        {"api_key", login->api_key},
                        {"PHPSESSID", login->session_id},
                        {"key", AsciiLower(auth::GenerateToken(40))}},
                  200);
  }

  std::unique_ptr<store::Transaction> auth_txn;  // the key's read transaction, for the call
  StatusOr<auth::Caller> caller =
      !req.api_key.empty()    ? auth_.ByApiKey(req.api_key, &auth_txn, request.remote_address)
      : !req.session_id.empty() ? auth_.BySession(req.session_id)
                                : Unauthenticated("Valid session, or user api_key required");
  if (!caller.ok() && IsUncheckedCredential(caller.status())) return fail(caller.status(), true);
  if (!caller.ok()) return fail(Unauthenticated("Valid session, or user api_key required"), true);
  NoteCaller(caller->user_id, caller->contact_id);

  if (req.kind == Kind::kLogout) {
    if (!req.session_id.empty()) {
      Status s = auth_.Logout(req.session_id);
      if (!s.ok()) return fail(s, false);
    }
    headers.emplace_back("Set-Cookie", "PHPSESSID=deleted; Path=/; Max-Age=0");
    return render(Value{{"is_error", 0}, {"result", 1}}, 200);
  }

  api::ApiCall call{req.entity, req.action, std::move(req.params), 2};
  const api::ActionRegistry& registry = dispatcher_.registry();
  const api::ActionSpec* spec = registry.Find(2, req.entity, req.action);
  call.spec = spec;  // not looked up again by the dispatcher
  NoteCall(spec != nullptr ? spec->entity : req.entity, spec != nullptr ? spec->action : req.action,
           spec != nullptr);
  // CSRF: on the browser path a session cookie is the only credential, and
  // a browser sends it with any page's request. Writes need what only a
  // script of kith's own origin can send, as CiviCRM's AJAX API requires.
  if (browser_path && req.api_key.empty() && spec != nullptr && spec->writes) {
    if (request.Header("x-requested-with") != "XMLHttpRequest") {
      return fail(PermissionDenied(kCsrfAlert), true);
    }
    if (request.method != "POST") return fail(PermissionDenied(kPostOnly), true);
  }
  if (spec == nullptr) {
    bool known_entity = !registry.ActionsOf(2, req.entity).empty();
    std::string message = known_entity ? "Unknown function called: civicrm_" + req.entity + "_" + req.action
                                       : "Unknown function invocation.";
    return fail(NotFound(message), true);
  }
  if (spec->entity == "Contact" && (spec->action == "get" || spec->action == "search")) {
    // A get of more than a page: streamed as it is read (paged_get.h).
    StreamedGet streamed =
        StreamV2ContactGet(dispatcher_, *caller, req.entity, req.action, call.params, json,
                           json ? kJsonType : kXmlType, auth_txn);
    if (!streamed.ok()) return fail(streamed.status(), false);
    if (*streamed) return **std::move(streamed);
  }
  // A contact get's rows written as they are read, straight into the text.
  std::optional<wire::TextRows> rows;
  if (spec->entity == "Contact" && (spec->action == "get" || spec->action == "search")) {
    rows.emplace(wire::v2::RowsOptions(json));
    call.rows_out = &*rows;
  }
  auto result = dispatcher_.Run(call, *caller, std::move(auth_txn));
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kInternal) {
      return fail(Internal("Internal error"), false);
    }
    // An action may find that 3.2 had no function under the spelling used
    // (relationship_type/get, where 3.2 had only relationshipType/get).
    if (ErrorDetails(result.status()).value("error_code", Value()) == "unknown-function") {
      return fail(result.status(), true);
    }
    return fail(result.status(), false);
  }
  HttpResponse answer;
  if (rows && rows->used() && rows->rows() > 0) {
    std::string head, tail;
    wire::v2::RowsFrame(json, head, tail);
    head.reserve(head.size() + rows->text().size() + tail.size());
    head += rows->text();
    head += tail;
    answer = respond(std::move(head), 200);
  } else {
    answer = render(wire::v2::NormalizeV2Result(std::move(*result)), 200);
  }
  Status size = CheckAnswerSize(answer.body, options_.limits);
  if (!size.ok()) return fail(size, false);
  return answer;  // (moved, where a conditional expression copied it)
}

}  // namespace kith::server
