// Runtime: the running parts of kith over one data directory, as every
// subcommand opens them (commands.cc).
#pragma once

#include <memory>
#include <string>

#include "api/action_registry.h"
#include "api/api.h"
#include "auth/authenticator.h"
#include "base/status.h"
#include "config/kith_config.h"
#include "store/store.h"

namespace kith::cli {

struct Runtime {
  config::KithConfig config;
  std::unique_ptr<store::Store> store;
  api::ActionRegistry registry;
  std::unique_ptr<api::Dispatcher> dispatcher;
  std::unique_ptr<auth::Authenticator> auth;
};

// The store a data directory's settings name: SQLite in DIR/kith.db, or
// the PostgreSQL database of `database`.
store::StoreOptions StoreOptionsOf(const std::string& data_dir, const config::KithConfig& config);

// Reads DIR/kith.toml (its roles included) and opens the store, the
// built-in actions and the authenticator over them.
StatusOr<std::unique_ptr<Runtime>> OpenRuntime(const std::string& data_dir);

}  // namespace kith::cli
