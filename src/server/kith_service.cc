#include "server/kith_service.h"

#include "api/request_budget.h"
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
  // Every API call the request runs counts against its budget.
  api::RequestBudget budget(options_.limits, request.client_gone);
  api::ScopedRequestBudget active(budget);
  // Both REST paths speak the 3.2 dialect and APIv3 (HandleRest decides).
  if (EndsWith(request.path, "/extern/rest.php")) return HandleRest(request, false);
  if (request.path == "/civicrm/ajax/rest") return HandleRest(request, true);
  if (request.path == "/civicrm/ajax/api4" || request.path.rfind("/civicrm/ajax/api4/", 0) == 0) return HandleApi4(request);
  return HttpResponse{404, "text/plain; charset=UTF-8", {}, "Not Found\n"};
}

}  // namespace kith::server
