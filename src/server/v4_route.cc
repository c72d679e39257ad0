// APIv4 REST (shared/PROTOCOL.md C.3): /civicrm/ajax/api4/<Entity>/<action>
// and the multi-call form /civicrm/ajax/api4 with calls=. Order of checks as
// CiviCRM's authx and AJAX page make them: the credential (401 text when it
// is bad), the web-service guard (400 SECURITY ALERT), the method (405 for
// writes over GET), then each call through the dispatcher, answered with
// honest statuses (A.5).
#include <cstdio>

#include "api/action_registry.h"
#include "api/openapi.h"
#include "base/error_details.h"
#include "base/request_record.h"
#include "base/strings.h"
#include "server/kith_service.h"
#include "server/route_helpers.h"
#include "server/v4_stream.h"
#include "wire/common/json_writer.h"
#include "wire/v4/v4_envelope.h"
#include "wire/v4/v4_request.h"

namespace kith::server {

using http::HttpRequest;
using http::HttpResponse;
using wire::v4::V4Credential;

namespace {

constexpr char kApi4Path[] = "/civicrm/ajax/api4";
constexpr char kSecurityAlert[] =
    "SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api4().";
constexpr char kTooBusy[] = "Too many password checks at once; try again in a moment.";
constexpr char kPostOnly[] =
    "SECURITY: All requests that modify the database must be http POST, not GET.";

HttpResponse Json(int status, const Value& body) {
  return HttpResponse{status, "application/json", {}, wire::ToJson(body)};
}

// An answer over limits.max_answer_bytes becomes that error.
HttpResponse BoundedJson(int status, const Value& body, const RequestLimits& limits) {
  HttpResponse answer = Json(status, body);
  Status size = CheckAnswerSize(answer.body, limits);
  if (size.ok()) return answer;
  wire::v4::V4Error e = wire::v4::ErrorEnvelope(size);
  return Json(e.http_status, e.body);
}

// authx's refusal: plain text, no JSON.
HttpResponse AuthxFailure(const std::string& reason) {
  NoteError(Unauthenticated(reason));
  return HttpResponse{401, "text/plain; charset=UTF-8", {}, "HTTP 401 " + reason};
}

// A credential refused unchecked after too many failures: 429, Retry-After.
HttpResponse Throttled(const Status& s) {
  NoteError(s);
  HttpResponse r = Json(429, wire::v4::PageError(429, std::string(s.message())));
  AddRetryAfter(s, r.headers);
  return r;
}

bool IsReadAction(std::string_view action) {
  return AsciiLower(action).rfind("get", 0) == 0 || EqualsIgnoreCase(action, "autocomplete");
}

}  // namespace

HttpResponse BodyTooLargeResponse(const HttpRequest& head, size_t limit) {
  if (head.path != kApi4Path && head.path.rfind(std::string(kApi4Path) + "/", 0) != 0) {
    return HttpResponse{413, "text/plain; charset=UTF-8", {}, "request body too large\n"};
  }
  return Json(413, Value{{"error_id", wire::v4::NewErrorId()},
                         {"error_code", 0},
                         {"error_message", "The request body is larger than " +
                                               std::to_string(limit) + " bytes"},
                         {"status", 413}});
}

HttpResponse KithService::HandleApi4(const HttpRequest& request) const {
  // A get's read goes in one round trip with the check of the caller and the
  // catalog it assumes; when either turned out to have changed (another
  // server disabled the key, added a custom field), or the get read again,
  // that answer is dropped and the request answered again, the check first.
  // Only reads are pipelined: nothing was written.
  auto pipelined = std::make_shared<store::ReadAssumptions>();
  HttpResponse response = AnswerApi4(request, pipelined);
  if (!pipelined->changed) return response;
  if (RequestRecord* record = CurrentRequestRecord()) record->error = absl::StatusCode::kOk;
  return AnswerApi4(request, nullptr);
}

HttpResponse KithService::AnswerApi4(const HttpRequest& request,
                                     const std::shared_ptr<store::ReadAssumptions>& pipelined) const {
  NoteProtocol("v4");
  wire::v4::V4RawRequest raw;
  raw.path_tail = std::string_view(request.path).substr(sizeof(kApi4Path) - 1);
  raw.query = request.query;
  raw.content_type = request.Header("content-type");
  raw.body = request.body;
  raw.x_civi_auth = request.Header("x-civi-auth");
  raw.authorization = request.Header("authorization");
  raw.x_civi_key = request.Header("x-civi-key");
  raw.x_requested_with = request.Header("x-requested-with");
  raw.cookie = request.Header("cookie");
  auto parsed = wire::v4::ParseV4Request(raw, options_.limits);
  if (!parsed.ok()) {
    NoteError(parsed.status());
    wire::v4::V4Error e = wire::v4::ErrorEnvelope(parsed.status());
    return Json(e.http_status, e.body);
  }
  wire::v4::V4Request& req = *parsed;

  // The action of a single call, looked up once.
  const api::ActionSpec* single_spec =
      req.multi || req.openapi || req.calls.empty()
          ? nullptr
          : dispatcher_.registry().Find(4, req.calls[0].second.entity, req.calls[0].second.action);

  // The credential, as authx checks it before anything else.
  StatusOr<auth::Caller> caller = auth::Caller::Anonymous();
  std::unique_ptr<store::Transaction> auth_txn;  // the key's read transaction, for the first call
  bool pipelined_get = false;  // a single get answered whole, read through a pipelined read
  const V4Credential& cred = req.credential;
  if ((cred.kind != V4Credential::Kind::kNone || !req.session_id.empty()) &&
      RefusesCredentials(request)) {
    return Json(403, wire::v4::PageError(403, std::string(InsecureCredentials().message())));
  }
  if (cred.kind == V4Credential::Kind::kMalformed) return AuthxFailure("Invalid credential");
  if (cred.kind == V4Credential::Kind::kBearer || cred.kind == V4Credential::Kind::kBasic) {
    bool basic = cred.kind == V4Credential::Kind::kBasic;
    // A password is checked on the password pool: this request goes there whole.
    std::optional<HttpResponse> later;
    if (basic) {
      // Held back by earlier failures: refused before it waits for the pool.
      Status allowed = auth_.LoginAllowed(cred.token, request.remote_address);
      if (!allowed.ok()) return Throttled(allowed);
      later = OnPasswordPool(request, [this](const HttpRequest& r) { return HandleApi4(r); },
                             Json(429, wire::v4::PageError(429, kTooBusy)));
    }
    if (later) return *std::move(later);
    // A single get (rows written as read) only: any other call may write.
    // And one answered whole: the pages of a streamed one are read after
    // its first piece went out, too late to answer again.
    const api::ActionSpec* spec = single_spec;
    pipelined_get = !basic && pipelined != nullptr && spec != nullptr &&
                    WritesRowsAsRead(*spec, req.calls[0].second) &&
                    !ReadsInIdPages(*spec, *dispatcher_.store().catalog(), req.calls[0].second);
    caller = basic ? auth_.ByPassword(cred.token, cred.password, request.remote_address)
                   : auth_.ByApiKey(cred.token, &auth_txn, request.remote_address,
                                    pipelined_get ? pipelined : nullptr);
    if (!caller.ok() && IsThrottled(caller.status())) return Throttled(caller.status());
    if (!caller.ok() && IsUncheckedCredential(caller.status())) {
      wire::v4::V4Error e = wire::v4::ErrorEnvelope(caller.status());
      return Json(e.http_status, e.body);
    }
    if (!caller.ok()) return AuthxFailure("Invalid credential");
    // The guards of A.7: the site key, or the permission to log in this way.
    const char* perm = basic ? "authenticate with password" : "authenticate with api key";
    if (!auth_.CheckSiteKey(req.site_key) && !caller->Has(perm)) {
      return AuthxFailure("Login not permitted. Must satisfy guard (site_key, perm).");
    }
  } else if (req.xhr && !req.session_id.empty()) {
    // A browser session from a 3.2 login; anonymous when it has ended.
    auto session = auth_.BySession(req.session_id);
    if (session.ok()) caller = *session;
  }
  // CSRF guard: an Authorization header alone could come from a browser.
  bool web_service = req.xhr || cred.flow == "xheader" || cred.flow == "param" ||
                     cred.flow == "legacyrest";
  if (!web_service) return Json(400, wire::v4::PageError(400, kSecurityAlert));
  NoteCaller(caller->user_id, caller->contact_id);

  bool get = request.method == "GET" || request.method == "HEAD";
  if (request.method != "POST" && !get) return Json(405, wire::v4::PageError(405, kPostOnly));
  if (req.openapi) {
    // What this caller may call, described (api/openapi.h).
    auth_txn.reset();
    StatusOr<Value> doc = api::OpenApiDocument(dispatcher_, *caller);
    if (doc.ok()) return BoundedJson(200, *doc, options_.limits);
    wire::v4::V4Error e = wire::v4::ErrorEnvelope(doc.status());
    return Json(e.http_status, e.body);
  }
  if (get && (req.multi || !IsReadAction(req.calls[0].second.action))) {
    return Json(405, wire::v4::PageError(405, kPostOnly));
  }

  const api::ActionRegistry& registry = dispatcher_.registry();
  // A call's answer, given its result.
  auto answer = [&](const api::ActionSpec* spec, const wire::v4::V4Call& call,
                    StatusOr<Value> result, bool drop_index_field, int* status) -> Value {
    if (result.ok()) {
      *status = 200;
      return wire::v4::SuccessEnvelope(spec->entity, spec->action, std::move(*result), call.index,
                                       drop_index_field);
    }
    NoteError(result.status());
    wire::v4::V4Error e = wire::v4::ErrorEnvelope(result.status());
    // A pipelined read found changed is answered again (HandleApi4): its
    // first answer, dropped, is no fault to log.
    const bool dropped = pipelined != nullptr && pipelined->changed;
    if (!e.log_line.empty() && !dropped) std::fprintf(stderr, "kith: %s\n", e.log_line.c_str());
    *status = e.http_status;
    return e.body;
  };
  auto run = [&](const wire::v4::V4Call& call, int* status) -> Value {
    const api::ActionSpec* spec = registry.Find(4, call.entity, call.action);
    NoteCall(spec != nullptr ? spec->entity : call.entity,
             spec != nullptr ? spec->action : call.action, spec != nullptr);
    StatusOr<Value> result = Value();
    if (spec == nullptr) {
      result = registry.ActionsOf(4, call.entity).empty()
                   ? NotFound("API (" + call.entity + ", " + call.action +
                              ") does not exist (or the extension it belongs to is not enabled).")
                   : NotFound("Api " + call.entity + " " + call.action + " version 4 does not exist.");
    }
    Value params = call.params;
    bool drop_index_field = wire::v4::IndexFieldAdded(params, call.index);
    if (spec != nullptr) {
      result = dispatcher_.Run(api::ApiCall{call.entity, call.action, std::move(params), 4}, *caller,
                               std::move(auth_txn));
    }
    return answer(spec, call, std::move(result), drop_index_field, status);
  };

  if (!req.multi) {
    const wire::v4::V4Call& call = req.calls[0].second;
    const api::ActionSpec* spec = single_spec;
    if (spec != nullptr && WritesRowsAsRead(*spec, call)) {
      NoteCall(spec->entity, spec->action, true);
      // Rows written as they are read, in one read transaction; a large get
      // read page by page and streamed past one page.
      // (Decided once: a pipelined read's get is answered whole.)
      bool paged = !pipelined_get && ReadsInIdPages(*spec, *dispatcher_.store().catalog(), call);
      StatusOr<std::unique_ptr<store::Transaction>> txn =
          auth_txn ? std::move(auth_txn) : dispatcher_.store().Begin(/*write=*/false);
      // The params go to the get: the answer needs no more than the call's index.
      StatusOr<V4GetAnswer> got = txn.ok() ? AnswerV4Get(dispatcher_, *spec, call,
                                                         std::move(req.calls[0].second.params),
                                                         *caller, std::move(*txn), paged)
                                           : StatusOr<V4GetAnswer>(txn.status());
      if (got.ok() && got->rest) {
        HttpResponse streamed{200, "application/json", {}, std::move(got->first_piece)};
        streamed.stream = std::move(got->rest);
        return streamed;
      }
      int status = 500;
      if (got.ok() && !got->whole) {
        Status size = CheckAnswerSize(got->whole_json, options_.limits);
        if (size.ok()) return HttpResponse{200, "application/json", {}, std::move(got->whole_json)};
        got = size;
      }
      StatusOr<Value> result = got.ok() ? StatusOr<Value>(std::move(*got->whole)) : got.status();
      Value body = answer(spec, call, std::move(result), false, &status);
      return BoundedJson(status, body, options_.limits);
    }
    int status = 500;
    Value body = run(req.calls[0].second, &status);
    return BoundedJson(status, body, options_.limits);
  }
  // Several calls: 200 when any succeeded, else the first failure's status.
  Value body = req.calls_list ? Value::array() : Value::object();
  int overall = 0;
  bool any_ok = false;
  for (const auto& [name, call] : req.calls) {
    int status = 500;
    if (req.calls_list) {
      body.push_back(run(call, &status));
    } else {
      body[name] = run(call, &status);
    }
    any_ok = any_ok || status == 200;
    if (overall == 0) overall = status;
  }
  return BoundedJson(any_ok || overall == 0 ? 200 : overall, body, options_.limits);
}

}  // namespace kith::server
