// KithService: kith's HTTP request handler. It routes each request to the
// wire adapter of its protocol, runs the protocol's authentication steps
// through auth, the call through the API dispatcher, and renders the answer
// through the same adapter:  http -> wire -> auth -> api -> wire -> http.
// Thread-safe: Handle() is called concurrently by the HTTP server's threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/authenticator.h"
#include "base/request_limits.h"
#include "auth/password_pool.h"
#include "http/http_message.h"
#include "server/access_log.h"
#include "server/metrics.h"
#include "server/forwarded.h"

namespace kith::server {

struct ServiceOptions {
  bool honest_http_status = false;  // 3.2 errors with 4xx instead of 200
  bool q_means_v3 = false;          // q=civicrm/<e>/<a> on extern/rest.php is APIv3 (kith.toml q_dialect)
  RequestLimits limits;             // what one request may ask (kith.toml)
  // Where requests that carry a password are served (login, HTTP Basic);
  // null: on the calling thread (in-process tests). Outlives the service.
  auth::PasswordPool* password_pool = nullptr;
  std::vector<std::string> cors_origins;  // browser origins allowed (kith.toml); see cors.h
  // Whether the database answers (/healthz: 200, or 503); null: it does.
  // Called on every /healthz, so it must not wait for the database.
  std::function<bool()> database_answers;
  // Where each answered request is counted and logged; null: not at all.
  // Both outlive the service. Health checks (/healthz) are neither.
  Metrics* metrics = nullptr;
  AccessLog* access_log = nullptr;
  // Who may read GET /metrics (404 when off or without metrics; 403 for a
  // client not on loopback when kLoopback).
  MetricsAccess metrics_access = MetricsAccess::kLoopback;
  // Api keys, passwords and session cookies refused unless the client's
  // connection is encrypted or comes from loopback (kith.toml).
  bool require_secure_credentials = true;
  TrustedProxies trusted_proxies;  // whose X-Forwarded-For/Proto are believed (kith.toml)
};

// The 413 answer to a request whose body is over `limit` bytes (for
// HttpServerOptions::body_limit_response): APIv4's JSON error on its paths,
// plain text elsewhere; v4_route.cc.
http::HttpResponse BodyTooLargeResponse(const http::HttpRequest& head, size_t limit);

class KithService {
 public:
  KithService(const auth::Authenticator& auth, const api::Dispatcher& dispatcher,
              ServiceOptions options);

  // Answers `request`, counted in the metrics and logged (ServiceOptions).
  http::HttpResponse Handle(const http::HttpRequest& request) const;

 private:
  // CORS around the routes.
  http::HttpResponse Answer(const http::HttpRequest& request) const;
  // GET /metrics, as ServiceOptions::metrics_access allows.
  http::HttpResponse MetricsPage(const http::HttpRequest& request) const;
  // Counts and logs one answered request.
  void Observe(const http::HttpRequest& request, const RequestRecord& record, int status,
               std::chrono::steady_clock::time_point started) const;
  // Answer(), counted and logged (metrics, access log); Handle() calls it
  // for the request as its client made it (forwarded.h).
  http::HttpResponse Observed(const http::HttpRequest& request) const;
  // The protocol a path speaks (shared/PROTOCOL.md A.1).
  http::HttpResponse Route(const http::HttpRequest& request) const;
  // True when a credential in `request` must be refused: it came in the
  // clear from another machine (require_secure_credentials).
  bool RefusesCredentials(const http::HttpRequest& request) const;
  // The 3.2 dialect (API v2) on extern/rest.php and civicrm/<entity>/<action>;
  // v2_route.cc. `params`: the request's parameters when already parsed
  // (HandleRest; those the API gets are moved out of them), else parsed here.
  http::HttpResponse HandleV2(const http::HttpRequest& request, bool browser_path,
                              Value* params = nullptr) const;
  // /civicrm/ajax/api4[/<Entity>/<action>]: APIv4; v4_route.cc.
  http::HttpResponse HandleApi4(const http::HttpRequest& request) const;
  // HandleApi4 once. With `pipelined`, a get with an api key reads through
  // a pipelined read (store::Store::BeginPipelinedRead), and its answer
  // stands only when `pipelined->changed` stays false.
  http::HttpResponse AnswerApi4(const http::HttpRequest& request,
                                const std::shared_ptr<store::ReadAssumptions>& pipelined) const;
  // extern/rest.php and /civicrm/ajax/rest: the 3.2 dialect or APIv3, by
  // the parameters (shared/PROTOCOL.md A.1); v3_route.cc.
  http::HttpResponse HandleRest(const http::HttpRequest& request, bool ajax) const;
  http::HttpResponse HandleV3(const http::HttpRequest& request, const Value& params, bool ajax,
                              std::string_view q_function) const;

  // A request that carries a password, answered by `route` on the password
  // pool (the answer deferred), or `busy` (with Retry-After) at once when
  // the pool's queue is full. nullopt when already on the pool or there is
  // none: go on here. kith_service.cc.
  std::optional<http::HttpResponse> OnPasswordPool(
      const http::HttpRequest& request,
      std::function<http::HttpResponse(const http::HttpRequest&)> route,
      http::HttpResponse busy) const;

  const auth::Authenticator& auth_;
  const api::Dispatcher& dispatcher_;
  ServiceOptions options_;
};

}  // namespace kith::server
