#include "server/kith_service.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>

#include "api/request_budget.h"
#include "base/error_details.h"
#include "server/cors.h"
#include "server/explorer_route.h"
#include "server/route_helpers.h"

namespace kith::server {

using http::HttpRequest;
using http::HttpResponse;

KithService::KithService(const auth::Authenticator& auth, const api::Dispatcher& dispatcher,
                         ServiceOptions options)
    : auth_(auth), dispatcher_(dispatcher), options_(options) {}

// Through a trusted proxy, the request is served as its client sent it: the
// credential throttle and the plain-HTTP rule see the client, not the proxy.
HttpResponse KithService::Handle(const HttpRequest& request) const {
  if (options_.trusted_proxies.Contains(request.remote_address)) {
    return Observed(Forwarded(request, options_.trusted_proxies));
  }
  return Observed(request);
}

HttpResponse KithService::Observed(const HttpRequest& request) const {
  if ((options_.metrics == nullptr && options_.access_log == nullptr) ||
      request.path == "/healthz") {
    return Answer(request);
  }
  const auto started = std::chrono::steady_clock::now();
  // On the heap: a deferred answer's work (OnPasswordPool) notes into it too.
  auto record = std::make_shared<RequestRecord>();
  HttpResponse response;
  {
    ScopedRequestRecord current(record.get());
    response = Answer(request);
  }
  if (!response.deferred) {
    Observe(request, *record, response.status, started);
    return response;
  }
  response.deferred = [this, later = std::move(response.deferred), record, request,
                       started](std::function<void(HttpResponse)> respond) {
    later([this, record, request, started, respond = std::move(respond)](HttpResponse answer) {
      Observe(request, *record, answer.status, started);
      respond(std::move(answer));
    });
  };
  return response;
}

void KithService::Observe(const HttpRequest& request, const RequestRecord& record, int status,
                          std::chrono::steady_clock::time_point started) const {
  auto elapsed = std::chrono::steady_clock::now() - started;
  if (options_.metrics != nullptr) options_.metrics->CountRequest(record, status, elapsed);
  if (options_.access_log != nullptr) options_.access_log->Log(request, record, status, elapsed);
}

HttpResponse KithService::MetricsPage(const HttpRequest& request) const {
  if (options_.metrics == nullptr || options_.metrics_access == MetricsAccess::kOff) {
    return HttpResponse{404, "text/plain; charset=UTF-8", {}, "Not Found\n"};
  }
  if (options_.metrics_access == MetricsAccess::kLoopback && !IsLoopback(request.remote_address)) {
    return HttpResponse{403, "text/plain; charset=UTF-8", {},
                        "metrics are served to loopback clients only (kith.toml metrics)\n"};
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return HttpResponse{405, "text/plain; charset=UTF-8", {{"Allow", "GET, HEAD"}},
                        "GET /metrics\n"};
  }
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", {},
                      options_.metrics->Render()};
}

bool KithService::RefusesCredentials(const HttpRequest& request) const {
  return options_.require_secure_credentials && !request.secure &&
         !IsLoopback(request.remote_address);
}

// CORS around the routes: preflights answered here, a session cookie from
// another origin's page dropped, the allowed origin named in the answer.
HttpResponse KithService::Answer(const HttpRequest& request) const {
  if (IsPreflight(request)) return PreflightResponse(request, options_.cors_origins);
  bool cross_origin = IsCrossOrigin(request);
  HttpResponse response = cross_origin && !request.Header("cookie").empty()
                              ? Route(WithoutCookies(request))
                              : Route(request);
  if (!cross_origin || options_.cors_origins.empty()) return response;
  if (!response.deferred) {
    AddCorsHeaders(request, options_.cors_origins, response);
    return response;
  }
  response.deferred = [later = std::move(response.deferred), origins = options_.cors_origins,
                       request](std::function<void(HttpResponse)> respond) {
    later([origins, request, respond = std::move(respond)](HttpResponse answer) {
      AddCorsHeaders(request, origins, answer);
      respond(std::move(answer));
    });
  };
  return response;
}

// The route table: which protocol a path speaks (shared/PROTOCOL.md A.1).
HttpResponse KithService::Route(const HttpRequest& request) const {
  if (request.path == "/healthz") {
    if (options_.database_answers && !options_.database_answers()) {
      return HttpResponse{503, "application/json", {}, "{\"status\":\"database unavailable\"}\n"};
    }
    return HttpResponse{200, "text/plain; charset=UTF-8", {}, "ok\n"};
  }
  if (request.path == "/metrics") return MetricsPage(request);
  if (IsExplorerPath(request.path)) return ExplorerResponse(request);
  // Every API call the request runs counts against its budget.
  api::RequestBudget budget(options_.limits, request.client_gone);
  api::ScopedRequestBudget active(budget);
  // Both REST paths speak the 3.2 dialect and APIv3 (HandleRest decides).
  if (EndsWith(request.path, "/extern/rest.php")) return HandleRest(request, false);
  if (request.path == "/civicrm/ajax/rest") return HandleRest(request, true);
  if (request.path == "/civicrm/ajax/api4" || request.path.rfind("/civicrm/ajax/api4/", 0) == 0) return HandleApi4(request);
  return HttpResponse{404, "text/plain; charset=UTF-8", {}, "Not Found\n"};
}

std::optional<HttpResponse> KithService::OnPasswordPool(
    const HttpRequest& request, std::function<HttpResponse(const HttpRequest&)> route,
    HttpResponse busy) const {
  auth::PasswordPool* pool = options_.password_pool;
  if (pool == nullptr || auth::PasswordPool::OnPoolThread()) return std::nullopt;
  busy.headers.emplace_back("Retry-After", "1");
  // The request's record lives until `respond` has been called (Handle).
  RequestRecord* record = CurrentRequestRecord();
  HttpResponse later;
  later.deferred = [pool, request, route = std::move(route), busy = std::move(busy),
                    record](std::function<void(HttpResponse)> respond) {
    bool queued = pool->TrySubmit([request, route, respond, record] {
      ScopedRequestRecord current(record);
      HttpResponse answer{500, "text/plain; charset=UTF-8", {}, "internal error\n"};
      try {
        answer = route(request);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "kith: password route threw for %s: %s\n", request.path.c_str(),
                     e.what());
      }
      respond(std::move(answer));
    });
    if (!queued) {
      ScopedRequestRecord current(record);
      NoteError(ResourceExhausted("password pool queue full"));
      respond(busy);
    }
  };
  return later;
}

}  // namespace kith::server
