// CORS: which web pages of other origins may call kith from a browser, and
// the answers a browser's preflight (OPTIONS) needs. Origins are allowed by
// an exact match against kith.toml's cors_origins (none by default). A
// session cookie is never honoured on a request from another origin, allowed
// or not: cross-origin callers authenticate with a key or a password.
#pragma once

#include <string>
#include <vector>

#include "http/http_message.h"

namespace kith::server {

// The headers a CiviCRM client sends that a preflight must allow.
inline constexpr char kCorsAllowedHeaders[] =
    "X-Civi-Auth, X-Civi-Key, X-Requested-With, Authorization, Content-Type";

// True when the request names an Origin other than its own Host's (a page
// of another site made it).
bool IsCrossOrigin(const http::HttpRequest& request);

// True for a CORS preflight: OPTIONS with Origin and
// Access-Control-Request-Method.
bool IsPreflight(const http::HttpRequest& request);

// The answer to a preflight: 204 with the allowed methods and headers when
// its origin is in `origins`, else 403.
http::HttpResponse PreflightResponse(const http::HttpRequest& request,
                                     const std::vector<std::string>& origins);

// Adds Access-Control-Allow-Origin (and Vary: Origin) to `response` when the
// request's origin is in `origins`. Never Allow-Credentials.
void AddCorsHeaders(const http::HttpRequest& request, const std::vector<std::string>& origins,
                    http::HttpResponse& response);

// `request` without its Cookie headers.
http::HttpRequest WithoutCookies(const http::HttpRequest& request);

}  // namespace kith::server
