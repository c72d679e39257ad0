// LiveService: what `kith serve` answers with, replaceable while it serves.
//
// A snapshot is immutable: an action registry (a copy of the built-ins plus
// the actions of the extensions loaded from DATA/extensions), the dispatcher
// over it and the KithService over that. Handle() holds the current snapshot
// for the whole request; Reload() builds a new snapshot and swaps it in.
// Requests in flight finish on the snapshot they started with, which is
// freed after the last of them (with its scripts' Lua states).
//
// Thread-safe: Handle() from the HTTP threads, Reload() from the signal loop.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "api/action_registry.h"
#include "auth/authenticator.h"
#include "extensions/extension_host.h"
#include "http/http_message.h"
#include "server/kith_service.h"
#include "store/store.h"

namespace kith::cli {

class LiveService {
 public:
  // `builtins`, `store` and `auth` must outlive the service. Serves nothing
  // until the first Reload().
  LiveService(const api::ActionRegistry& builtins, store::Store& store,
              const auth::Authenticator& auth, server::ServiceOptions options,
              std::string extensions_dir, extensions::SandboxLimits limits);

  // Loads the extensions afresh and makes them current. Returns the new
  // host, whose reports() say what loaded and what did not.
  std::shared_ptr<const extensions::ExtensionHost> Reload();

  http::HttpResponse Handle(const http::HttpRequest& request) const;

 private:
  struct Snapshot;

  const api::ActionRegistry& builtins_;
  store::Store& store_;
  const auth::Authenticator& auth_;
  server::ServiceOptions options_;
  std::string extensions_dir_;
  extensions::SandboxLimits limits_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;  // guarded by mu_
};

}  // namespace kith::cli
