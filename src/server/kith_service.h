// KithService: kith's HTTP request handler. It routes each request to the
// wire adapter of its protocol, runs the protocol's authentication steps
// through auth, the call through the API dispatcher, and renders the answer
// through the same adapter:  http -> wire -> auth -> api -> wire -> http.
// Thread-safe: Handle() is called concurrently by the HTTP server's threads.
#pragma once

#include "api/api.h"
#include "auth/authenticator.h"
#include "http/http_message.h"

namespace kith::server {

struct ServiceOptions {
  bool honest_http_status = false;  // 3.2 errors with 4xx instead of 200
};

class KithService {
 public:
  KithService(const auth::Authenticator& auth, const api::Dispatcher& dispatcher,
              ServiceOptions options);

  http::HttpResponse Handle(const http::HttpRequest& request) const;

 private:
  http::HttpResponse HandleLegacy(const http::HttpRequest& request, bool browser_path) const;

  const auth::Authenticator& auth_;
  const api::Dispatcher& dispatcher_;
  ServiceOptions options_;
};

}  // namespace kith::server
