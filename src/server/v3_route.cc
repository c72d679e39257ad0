// APIv3 REST: entity=&action= (or q=civicrm/<entity>/<action>&version=3) on
// any .../extern/rest.php path and on /civicrm/ajax/rest, with each
// endpoint's authentication (shared/PROTOCOL.md A.7, C.2.3): extern/rest.php
// wants the site key and an api key; /civicrm/ajax/rest takes key/api_key as
// authx's legacyrest flow (the site key or the permission "authenticate with
// api key"), or the browser session from a 3.2 login sent by a script
// (X-Requested-With: XMLHttpRequest). HTTP GET runs only actions that read.
#include "api/action_registry.h"
#include "base/error_details.h"
#include "base/request_record.h"
#include "base/strings.h"
#include "base/value_members.h"
#include "server/kith_service.h"
#include "server/paged_get.h"
#include "server/route_helpers.h"
#include "wire/common/form_params.h"
#include "wire/v3/v3_envelope.h"
#include "wire/v3/v3_request.h"

namespace kith::server {

using http::HttpRequest;
using http::HttpResponse;

namespace {

constexpr char kLoginPage[] =
    "<!DOCTYPE html>\n<html><head><title>Log In</title></head><body>\n"
    "<p>Log in first: send key= and api_key=, or call from a logged-in browser session.</p>\n"
    "</body></html>\n";

// Actions an HTTP GET may run (CRM_Utils_REST::process): the readers.
bool ReadOnlyAction(const std::string& action) {
  return action.rfind("get", 0) == 0 || action.rfind("check", 0) == 0;
}

bool HasChains(const Value& params) {
  for (const auto& [k, v] : Members(params)) {
    if (k.size() > 4 && k.rfind("api", 0) == 0 && (k[3] == '.' || k[3] == '_') &&
        (v.is_object() || v.is_array() || v == 1)) {
      return true;
    }
  }
  return false;
}

}  // namespace

HttpResponse KithService::HandleRest(const HttpRequest& request, bool ajax) const {
  auto params = wire::ParseRequestParams(request.query, request.Header("content-type"), request.body,
                                         options_.limits);
  if (!params.ok()) {
    // Parameters that cannot be read: an APIv3 refusal when the raw request
    // names an entity, else the 3.2 adapter's, each in its envelope.
    auto names = [](std::string_view raw, std::string_view key) {
      for (std::string_view pair : Split(raw, '&', true)) {
        if (pair.rfind(key, 0) == 0) return true;
      }
      return false;
    };
    bool form_body = AsciiLower(request.Header("content-type")).rfind("application/x-www-form-urlencoded", 0) == 0;
    bool v3 = names(request.query, "entity=") || (form_body && names(request.body, "entity="));
    if (!v3) return HandleV2(request, ajax);
    bool json = RawParamsWantJson(request.query) || (form_body && RawParamsWantJson(request.body));
    Value body = wire::v3::V3RestError(std::string(params.status().message()));
    bool honest = options_.honest_http_status || request.Header("x-kith-honest-status") == "1";
    HttpResponse r;
    r.status = honest ? HonestStatus(params.status()) : 200;
    r.content_type = json ? wire::v3::kJsonType : ajax ? wire::v3::kAjaxXmlType : wire::v3::kExternXmlType;
    r.body = json ? wire::v3::RenderV3Json(body) : wire::v3::RenderV3Xml(body);
    return r;
  }
  // A parameter's text, "" unless it is a string (viewed, not copied).
  auto text = [&](std::string_view key) -> std::string_view {
    const Value* value = FindMember(*params, key);
    if (value == nullptr || !value->is_string()) return {};
    return value->get_ref<const std::string&>();
  };
  if (ajax) {
    if (!text("fnName").empty()) return HandleV2(request, true, &*params);
    return HandleV3(request, *params, true, "");
  }
  if (!text("entity").empty()) return HandleV3(request, *params, false, "");
  std::string_view q = text("q");
  // q= is the 3.2 dialect unless version=3 (or the site says q= is APIv3),
  // except login, logout and ping, which only 3.2 has.
  bool session_call = q == "civicrm/login" || q == "civicrm/logout" || q == "civicrm/ping";
  if (!q.empty() && !session_call && (text("version") == "3" || options_.q_means_v3)) {
    return HandleV3(request, *params, false, q);
  }
  return HandleV2(request, false, &*params);
}

HttpResponse KithService::HandleV3(const HttpRequest& request, const Value& params, bool ajax,
                                   std::string_view q_function) const {
  NoteProtocol("v3");
  bool json = false;  // the request's choice, once read (ParseV3Request reads it too)
  bool pretty = false;
  bool honest = options_.honest_http_status || request.Header("x-kith-honest-status") == "1";
  auto respond = [&](std::string body, int status) {
    HttpResponse r;
    r.status = status;
    r.content_type = json ? wire::v3::kJsonType : ajax ? wire::v3::kAjaxXmlType : wire::v3::kExternXmlType;
    r.body = std::move(body);
    return r;
  };
  auto render = [&](const Value& body, int status) {
    return respond(json ? wire::v3::RenderV3Json(body, pretty) : wire::v3::RenderV3Xml(body), status);
  };
  // A refusal before any call: {"error_message":...,"is_error":1}.
  auto refuse = [&](const Status& s) {
    NoteError(s);
    HttpResponse r =
        render(wire::v3::V3RestError(std::string(s.message())), honest ? HonestStatus(s) : 200);
    AddRetryAfter(s, r.headers);
    return r;
  };

  if (!q_function.empty()) {
    std::vector<std::string_view> parts = Split(q_function, '/');
    if (parts.size() != 3 || parts[0] != "civicrm" || parts[1].empty() || parts[2].empty()) {
      json = wire::v3::WantsJson(params);
      return refuse(InvalidArgument("ERROR: Malformed REST path"));
    }
  }
  auto parsed = wire::v3::ParseV3Request(params, q_function, options_.limits);
  if (!parsed.ok()) {
    json = wire::v3::WantsJson(params);
    return refuse(parsed.status());
  }
  wire::v3::V3Request& req = *parsed;
  json = req.json;
  pretty = req.pretty;

  bool credentials = !req.api_key.empty() ||
                     (ajax && !wire::CookieValue(request.Header("cookie"), "PHPSESSID").empty());
  if (credentials && RefusesCredentials(request)) return refuse(InsecureCredentials());

  StatusOr<auth::Caller> caller = Unauthenticated("no credentials");
  std::unique_ptr<store::Transaction> auth_txn;  // the key's read transaction, for the first call
  if (!ajax) {
    // extern/rest.php: the site key, then the api key, with CiviCRM 6's texts.
    if (!auth_.CheckSiteKey(req.site_key)) return refuse(Unauthenticated("Failed to authenticate key"));
    if (req.api_key.empty() || EqualsIgnoreCase(req.api_key, "null")) {
      return refuse(Unauthenticated("FATAL: mandatory param 'api_key' (user key) missing"));
    }
    caller = auth_.ByApiKey(req.api_key, &auth_txn, request.remote_address);
    if (!caller.ok() && IsUncheckedCredential(caller.status())) return refuse(caller.status());
    if (!caller.ok()) {
      return refuse(Unauthenticated("ERROR: No CMS user associated with given api-key"));
    }
  } else if (!req.site_key.empty() || !req.api_key.empty()) {
    // authx's legacyrest flow: the api key, guarded by the site key OR the
    // permission "authenticate with api key". Its failures are JSON served
    // as text/javascript when JSON was asked for.
    auto authx_fail = [&](const std::string& reason) {
      Status s = Unauthenticated("FATAL: " + reason);
      HttpResponse r = refuse(s);
      if (json) r.content_type = wire::v3::kAuthxErrorType;
      return r;
    };
    caller = req.api_key.empty() ? StatusOr<auth::Caller>(Unauthenticated("Invalid credential"))
                                 : auth_.ByApiKey(req.api_key, &auth_txn, request.remote_address);
    if (!caller.ok() && IsUncheckedCredential(caller.status())) return refuse(caller.status());
    if (!caller.ok()) return authx_fail("Invalid credential");
    if (!auth_.CheckSiteKey(req.site_key) && !caller->Has("authenticate with api key")) {
      return authx_fail("Login not permitted. Must satisfy guard (site_key, perm).");
    }
  } else {
    // The browser path: a 3.2 login's session cookie, from a script only.
    std::string session = wire::CookieValue(request.Header("cookie"), "PHPSESSID");
    if (!session.empty()) caller = auth_.BySession(session);
    if (!caller.ok()) {
      return HttpResponse{honest ? 401 : 403, "text/html; charset=UTF-8", {}, kLoginPage};
    }
    if (request.Header("x-requested-with") != "XMLHttpRequest") {
      NoteError(PermissionDenied("CSRF suspected"));
      std::string_view referer = request.Header("referer");
      Value body{{"IP", request.remote_address},
                 {"level", "security"},
                 {"referer", referer.empty() ? Value() : Value(std::string(referer))},
                 {"reason", "CSRF suspected"},
                 {"is_error", 1},
                 {"error_message",
                  "SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. "
                  "CRM.api3()."}};
      HttpResponse r = render(body, honest ? 403 : 200);
      r.content_type = wire::v3::kJsonType;
      r.body = wire::v3::RenderV3Json(body);
      return r;
    }
  }
  NoteCaller(caller->user_id, caller->contact_id);
  // The browser page itself needs these (CiviCRM's menu access).
  if (ajax && (!caller->Has("access CiviCRM") || !caller->Has("access AJAX API"))) {
    return HttpResponse{403, "text/html; charset=UTF-8", {}, kLoginPage};
  }

  // Only POST may write (CiviCRM refuses GET; kith also HEAD and the rest).
  auto destructive_get = [&](const std::string& action) -> std::optional<Value> {
    if (request.method == "POST" || ReadOnlyAction(action)) return std::nullopt;
    std::string_view referer = request.Header("referer");
    return Value{{"IP", request.remote_address},
                 {"level", "security"},
                 {"referer", referer.empty() ? Value() : Value(std::string(referer))},
                 {"reason", "Destructive HTTP GET"},
                 {"is_error", 1},
                 {"error_message",
                  "SECURITY: All requests that modify the database must be http POST, not GET."}};
  };
  // One call in a transaction of its own; its answer or error body, and the
  // HTTP status an error takes when statuses are honest.
  // (`found`: the registry's answer for entity and action, when looked up
  // already; `call_params` is moved into the call, not copied)
  auto run = [&](const std::string& entity, const std::string& action, Value call_params,
                 int& status, wire::TextRows* rows_out,
                 std::optional<const api::ActionSpec*> found = std::nullopt) -> Value {
    if (auto refused = destructive_get(action)) {
      NoteError(PermissionDenied("Destructive HTTP GET"));
      status = honest ? 405 : 200;
      return *refused;
    }
    const api::ActionRegistry& registry = dispatcher_.registry();
    const api::ActionSpec* spec = found ? *found : registry.Find(3, entity, action);
    bool known = spec != nullptr && spec->entity == entity;
    NoteCall(known ? spec->entity : entity, known ? spec->action : action, known);
    Status error;
    if (spec == nullptr || spec->entity != entity) {
      error = NotFound("API (" + entity + ", " + action +
                           ") does not exist (join the API team and implement it!)",
                       Value{{"error_code", "not-found"}});
    } else {
      bool writes = spec->writes || HasChains(call_params);
      if (writes) auth_txn.reset();  // ends before the write transaction begins
      // Run again whole when the store refuses the call's transaction for
      // a conflict with a concurrent one (store::RunWithRetries).
      api::ApiCall call{entity, action, std::move(call_params), 3, rows_out};
      call.spec = spec;  // not looked up again by the dispatcher
      Value result;
      bool refused = false;  // an answer that is an error: nothing kept
      error = store::RunWithRetries([&]() -> Status {
        if (rows_out != nullptr) rows_out->Reset();
        StatusOr<std::unique_ptr<store::Transaction>> txn =
            auth_txn != nullptr ? std::move(auth_txn) : dispatcher_.store().Begin(writes);
        if (!txn.ok()) return txn.status();
        KITH_ASSIGN_OR_RETURN(result, dispatcher_.RunIn(**txn, call, *caller));
        refused = wire::v3::IsV3Error(result);
        return refused ? Status() : (*txn)->Commit();
      });
      if (error.ok() && refused) {
        NoteError(InvalidArgument("refused by the action"));
        status = honest ? 400 : 200;
        return result;
      }
      if (error.ok()) return wire::v3::NormalizeV3Result(std::move(result));
    }
    if (error.code() == absl::StatusCode::kInternal || error.code() == absl::StatusCode::kUnknown) {
      error = ErrorWithDetails(error.code(), "Internal error", Value::object());
    }
    NoteError(error);
    status = honest ? HonestStatus(error) : 200;
    return wire::v3::V3ErrorBody(error, entity, action);
  };

  if (req.multi) {
    // entity=api3: several calls, each on its own, answers by name.
    Value out = Value::object();
    int worst = 200;
    for (wire::v3::V3SubCall& c : req.calls) {
      int status = 200;
      out[c.name] = run(c.entity, c.action, std::move(c.params), status, nullptr);
      if (status != 200) worst = status;
    }
    HttpResponse answer = render(out, worst);
    Status size = CheckAnswerSize(answer.body, options_.limits);
    return size.ok() ? answer : refuse(size);
  }
  if (req.entity.empty() || req.action.empty()) {
    return refuse(InvalidArgument("missing mandatory params \"entity=\" or \"action=\""));
  }
  // A get of more than a page: streamed as it is read (paged_get.h).
  const api::ActionSpec* get_spec = dispatcher_.registry().Find(3, req.entity, req.action);
  if (get_spec != nullptr && get_spec->entity == req.entity && get_spec->action == "get" && !pretty &&
      !HasChains(req.params) && dispatcher_.store().catalog()->Find(get_spec->entity) != nullptr) {
    std::string type = json ? wire::v3::kJsonType : ajax ? wire::v3::kAjaxXmlType : wire::v3::kExternXmlType;
    StreamedGet streamed = StreamV3Get(dispatcher_, *caller, get_spec->entity, req.params, json, type, auth_txn);
    if (!streamed.ok() || *streamed) NoteCall(get_spec->entity, get_spec->action, true);
    if (!streamed.ok()) {
      NoteError(streamed.status());
      return render(wire::v3::V3ErrorBody(streamed.status(), req.entity, req.action),
                    honest ? HonestStatus(streamed.status()) : 200);
    }
    if (*streamed) return **std::move(streamed);
  }
  // A get's rows written as they are read, straight into the answer's
  // text, where the entity's get can (APIv3 Contact.get).
  std::optional<wire::TextRows> rows;
  std::optional<bool> sequential = wire::v3::WantsSequential(req.params);
  if (get_spec != nullptr && get_spec->entity == req.entity && get_spec->action == "get" &&
      !pretty && !HasChains(req.params) && sequential) {
    rows.emplace(wire::v3::RowsOptions(json, *sequential));
  }
  int status = 200;
  Value body = run(req.entity, req.action, std::move(req.params), status, rows ? &*rows : nullptr, get_spec);
  HttpResponse answer;
  if (rows && rows->used() && rows->rows() > 0 && status == 200 && !wire::v3::IsV3Error(body) &&
      wire::v3::FrameRows(body, json, rows->text()).ok()) {
    // (the frame put around the rows' own text, which keeps room for it:
    // not the rows copied into a text of their own)
    answer = respond(std::move(rows->text()), status);
  } else {
    answer = render(body, status);
  }
  Status size = CheckAnswerSize(answer.body, options_.limits);
  if (!size.ok()) return refuse(size);
  return answer;  // (moved, where a conditional expression copied it)
}

}  // namespace kith::server
