#include "server/cors.h"

#include <algorithm>

#include "base/strings.h"

namespace kith::server {
namespace {

bool Allowed(std::string_view origin, const std::vector<std::string>& origins) {
  return !origin.empty() && std::find(origins.begin(), origins.end(), origin) != origins.end();
}

void AddAllowOrigin(std::string_view origin, http::HttpResponse& response) {
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  response.headers.emplace_back("Vary", "Origin");
}

}  // namespace

bool IsCrossOrigin(const http::HttpRequest& request) {
  std::string_view origin = request.Header("origin");
  if (origin.empty()) return false;
  // scheme://host[:port]: the part after "://" must be this request's Host.
  size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return true;  // "null" and the like
  return !EqualsIgnoreCase(origin.substr(scheme_end + 3), request.Header("host"));
}

bool IsPreflight(const http::HttpRequest& request) {
  return request.method == "OPTIONS" && !request.Header("origin").empty() &&
         !request.Header("access-control-request-method").empty();
}

http::HttpResponse PreflightResponse(const http::HttpRequest& request,
                                     const std::vector<std::string>& origins) {
  std::string_view origin = request.Header("origin");
  if (!Allowed(origin, origins)) {
    return http::HttpResponse{403, "text/plain; charset=UTF-8", {}, "origin not allowed\n"};
  }
  http::HttpResponse r{204, "text/plain; charset=UTF-8", {}, ""};
  AddAllowOrigin(origin, r);
  r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  r.headers.emplace_back("Access-Control-Allow-Headers", kCorsAllowedHeaders);
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  return r;
}

void AddCorsHeaders(const http::HttpRequest& request, const std::vector<std::string>& origins,
                    http::HttpResponse& response) {
  std::string_view origin = request.Header("origin");
  if (Allowed(origin, origins)) AddAllowOrigin(origin, response);
}

http::HttpRequest WithoutCookies(const http::HttpRequest& request) {
  http::HttpRequest copy = request;
  std::erase_if(copy.headers, [](const auto& header) { return header.first == "cookie"; });
  return copy;
}

}  // namespace kith::server
