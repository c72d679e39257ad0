// ExtensionHost: the extensions of one data directory — start here.
//
// Every DATA/extensions/*.lua is a script that declares API actions with
// kith.action(...) (script.h). Load() reads them all, in file-name order,
// each into its own sandbox, and registers each declared action into an
// ActionRegistry for versions 2, 3 and 4, so the 3.2 dialect
// (q=civicrm/dgwcontact/get), APIv3 (entity=Dgwcontact&action=get) and APIv4
// (/civicrm/ajax/api4/Dgwcontact/get) all serve it. An entity that only
// extensions define also gets getfields and getactions (v3 and v4), built
// from the actions' ParamSpecs.
//
// A broken script (syntax error, error while loading, over a limit, bad
// declaration) is reported with file and line and left out; the others load.
// An action that the registry already has (a built-in, or another script's)
// is reported and skipped.
//
// Reloading (SIGHUP) builds a new registry and a new host; requests in
// flight keep the ones they started with, since every registered handler
// holds its script through a shared_ptr. A host is immutable once loaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "extensions/lua_sandbox.h"

namespace kith::extensions {

class Script;

// DATA/extensions.
std::string ExtensionsDir(const std::string& data_dir);

struct ExtensionReport {
  std::string file;                  // "dgwcontact.lua"
  std::vector<std::string> actions;  // "Dgwcontact.get", ... (those registered)
  std::vector<std::string> errors;   // "broken.lua:3: ...", or a skipped action
};

class ExtensionHost {
 public:
  // Loads every *.lua of `dir` (none when it does not exist) and registers
  // their actions into `registry`.
  static std::shared_ptr<const ExtensionHost> Load(const std::string& dir,
                                                   const SandboxLimits& limits,
                                                   api::ActionRegistry& registry);

  // The same for scripts given as (file name, source) pairs (tests).
  static std::shared_ptr<const ExtensionHost> FromSources(
      const std::vector<std::pair<std::string, std::string>>& sources,
      const SandboxLimits& limits, api::ActionRegistry& registry);

  // One report per file, in load order.
  const std::vector<ExtensionReport>& reports() const { return reports_; }

  // The number of files with errors.
  size_t error_count() const;

 private:
  ExtensionHost() = default;
  void Register(std::shared_ptr<Script> script, api::ActionRegistry& registry);
  void RegisterMetaActions(api::ActionRegistry& registry);

  std::vector<std::shared_ptr<Script>> scripts_;
  std::vector<ExtensionReport> reports_;
};

}  // namespace kith::extensions
