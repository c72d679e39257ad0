#include "server/explorer_route.h"

#include "server/embedded_files.h"

namespace kith::server {

namespace {

constexpr std::string_view kExplorerPath = "/civicrm/api4";

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=UTF-8";
  if (name.ends_with(".js")) return "text/javascript; charset=UTF-8";
  if (name.ends_with(".css")) return "text/css; charset=UTF-8";
  return "application/octet-stream";
}

}  // namespace

bool IsExplorerPath(std::string_view path) {
  return path == kExplorerPath || path.starts_with(std::string(kExplorerPath) + "/");
}

http::HttpResponse ExplorerResponse(const http::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return http::HttpResponse{405, "text/plain; charset=UTF-8", {{"Allow", "GET, HEAD"}}, "GET only\n"};
  }
  std::string_view name = std::string_view(request.path).substr(kExplorerPath.size());
  if (name.starts_with("/")) name.remove_prefix(1);
  if (name.empty()) name = "index.html";
  for (const auto& [file, content] : ExplorerFiles()) {
    if (file != name) continue;
    http::HttpResponse r{200, std::string(ContentType(name)), {}, std::string(content)};
    // Only its own files, no inline code, never inside another site's frame.
    r.headers = {{"Content-Security-Policy",
                  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"},
                 {"Cache-Control", "no-cache"}};
    return r;
  }
  return http::HttpResponse{404, "text/plain; charset=UTF-8", {}, "Not Found\n"};
}

}  // namespace kith::server
