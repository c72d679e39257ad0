#include "cli/openapi_command.h"

#include <iostream>
#include <ostream>

#include "api/action_registry.h"
#include "api/openapi.h"
#include "api/records.h"
#include "auth/secrets.h"
#include "cli/runtime.h"
#include "entities/register_builtins.h"
#include "extensions/extension_host.h"

namespace kith::cli {

Status RunOpenApi(const OpenApiOptions& options, std::ostream& out) {
  KITH_RETURN_IF_ERROR(auth::InitSecrets());
  KITH_ASSIGN_OR_RETURN(config::KithConfig config, config::LoadConfig(options.data_dir));
  KITH_ASSIGN_OR_RETURN(auto store, store::OpenStore(StoreOptionsOf(options.data_dir, config)));
  // The actions `kith serve` would serve: the built-ins and the extensions.
  api::ActionRegistry registry;
  entities::RegisterBuiltins(registry, api::GlobalRules());
  auto host = extensions::ExtensionHost::Load(extensions::ExtensionsDir(options.data_dir),
                                              extensions::SandboxLimits{}, registry);
  for (const extensions::ExtensionReport& r : host->reports()) {
    for (const std::string& e : r.errors) std::cerr << "kith: extension error: " << e << "\n";
  }
  api::Dispatcher dispatcher(*store, registry);
  KITH_ASSIGN_OR_RETURN(Value doc, api::OpenApiDocument(dispatcher, auth::Caller::System()));
  out << doc.dump(2) << "\n";
  return Status();
}

}  // namespace kith::cli
