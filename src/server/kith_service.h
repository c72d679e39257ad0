// KithService: kith's HTTP request handler. It routes each request to the
// wire adapter of its protocol, runs the protocol's authentication steps
// through auth, the call through the API dispatcher, and renders the answer
// through the same adapter:  http -> wire -> auth -> api -> wire -> http.
// Thread-safe: Handle() is called concurrently by the HTTP server's threads.
#pragma once

#include "api/api.h"
#include "auth/authenticator.h"
#include "base/request_limits.h"
#include "http/http_message.h"

namespace kith::server {

struct ServiceOptions {
  bool honest_http_status = false;  // 3.2 errors with 4xx instead of 200
  bool q_means_v3 = false;          // q=civicrm/<e>/<a> on extern/rest.php is APIv3 (kith.toml q_dialect)
  RequestLimits limits;             // what one request may ask (kith.toml)
};

// The 413 answer to a request whose body is over `limit` bytes (for
// HttpServerOptions::body_limit_response): APIv4's JSON error on its paths,
// plain text elsewhere; v4_route.cc.
http::HttpResponse BodyTooLargeResponse(const http::HttpRequest& head, size_t limit);

class KithService {
 public:
  KithService(const auth::Authenticator& auth, const api::Dispatcher& dispatcher,
              ServiceOptions options);

  http::HttpResponse Handle(const http::HttpRequest& request) const;

 private:
  http::HttpResponse HandleLegacy(const http::HttpRequest& request, bool browser_path) const;
  // /civicrm/ajax/api4[/<Entity>/<action>]: APIv4; v4_route.cc.
  http::HttpResponse HandleApi4(const http::HttpRequest& request) const;
  // extern/rest.php and /civicrm/ajax/rest: the 3.2 dialect or APIv3, by
  // the parameters (shared/PROTOCOL.md A.1); v3_route.cc.
  http::HttpResponse HandleRest(const http::HttpRequest& request, bool ajax) const;
  http::HttpResponse HandleV3(const http::HttpRequest& request, const Value& params, bool ajax,
                              std::string_view q_function) const;

  const auth::Authenticator& auth_;
  const api::Dispatcher& dispatcher_;
  ServiceOptions options_;
};

}  // namespace kith::server
