#include "cli/live_service.h"

#include <utility>

namespace kith::cli {

struct LiveService::Snapshot {
  api::ActionRegistry registry;  // never moves: the dispatcher points at it
  std::unique_ptr<api::Dispatcher> dispatcher;
  std::unique_ptr<server::KithService> service;
  std::shared_ptr<const extensions::ExtensionHost> host;
};

LiveService::LiveService(const api::ActionRegistry& builtins, store::Store& store,
                         const auth::Authenticator& auth, server::ServiceOptions options,
                         std::string extensions_dir, extensions::SandboxLimits limits)
    : builtins_(builtins),
      store_(store),
      auth_(auth),
      options_(options),
      extensions_dir_(std::move(extensions_dir)),
      limits_(limits) {}

std::shared_ptr<const extensions::ExtensionHost> LiveService::Reload() {
  auto next = std::make_shared<Snapshot>();
  next->registry = builtins_;
  next->host = extensions::ExtensionHost::Load(extensions_dir_, limits_, next->registry);
  next->dispatcher = std::make_unique<api::Dispatcher>(store_, next->registry);
  next->service = std::make_unique<server::KithService>(auth_, *next->dispatcher, options_);
  std::shared_ptr<const Snapshot> previous;
  {
    std::lock_guard<std::mutex> lock(mu_);
    previous = std::move(current_);
    current_ = next;
  }
  return next->host;  // `previous` is freed here, or by its last request
}

http::HttpResponse LiveService::Handle(const http::HttpRequest& request) const {
  std::shared_ptr<const Snapshot> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot = current_;
  }
  if (snapshot == nullptr) return http::HttpResponse{503, "text/plain; charset=UTF-8", {}, "starting\n"};
  http::HttpResponse response = snapshot->service->Handle(request);
  if (response.deferred) {
    // The snapshot lives until the deferred answer has been worked out.
    response.deferred = [snapshot, later = std::move(response.deferred)](
                            std::function<void(http::HttpResponse)> respond) {
      later([snapshot, respond = std::move(respond)](http::HttpResponse answer) {
        respond(std::move(answer));
      });
    };
  }
  return response;
}

}  // namespace kith::cli
