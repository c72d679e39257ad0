#include "server/kith_service.h"

#include "server/route_helpers.h"

namespace kith::server {

using http::HttpRequest;
using http::HttpResponse;

KithService::KithService(const auth::Authenticator& auth, const api::Dispatcher& dispatcher,
                         ServiceOptions options)
    : auth_(auth), dispatcher_(dispatcher), options_(options) {}

// The route table: which protocol a path speaks (shared/PROTOCOL.md A.1).
HttpResponse KithService::Handle(const HttpRequest& request) const {
  if (request.path == "/healthz") {
    return HttpResponse{200, "text/plain; charset=UTF-8", {}, "ok\n"};
  }
  if (EndsWith(request.path, "/extern/rest.php")) return HandleLegacy(request, false);
  if (request.path == "/civicrm/ajax/rest") return HandleLegacy(request, true);
  return HttpResponse{404, "text/plain; charset=UTF-8", {}, "Not Found\n"};
}

}  // namespace kith::server
