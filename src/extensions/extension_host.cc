#include "extensions/extension_host.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "extensions/meta_actions.h"
#include "extensions/script.h"

namespace kith::extensions {

std::string ExtensionsDir(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "extensions").string();
}

std::shared_ptr<const ExtensionHost> ExtensionHost::Load(const std::string& dir,
                                                         const SandboxLimits& limits,
                                                         api::ActionRegistry& registry) {
  std::shared_ptr<ExtensionHost> host(new ExtensionHost());
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const fs::path& p = entry.path();
      if (p.extension() == ".lua" && p.filename().string()[0] != '.' &&
          entry.is_regular_file(ec)) {
        files.push_back(p);
      }
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) host->Register(Script::Load(p.string(), limits), registry);
  host->RegisterMetaActions(registry);
  return host;
}

std::shared_ptr<const ExtensionHost> ExtensionHost::FromSources(
    const std::vector<std::pair<std::string, std::string>>& sources, const SandboxLimits& limits,
    api::ActionRegistry& registry) {
  std::shared_ptr<ExtensionHost> host(new ExtensionHost());
  for (const auto& [file, source] : sources) {
    host->Register(Script::FromSource(file, source, limits), registry);
  }
  host->RegisterMetaActions(registry);
  return host;
}

size_t ExtensionHost::error_count() const {
  return static_cast<size_t>(std::count_if(reports_.begin(), reports_.end(),
                                           [](const auto& r) { return !r.errors.empty(); }));
}

void ExtensionHost::Register(std::shared_ptr<Script> script, api::ActionRegistry& registry) {
  ExtensionReport report;
  report.file = script->file();
  if (!script->load_status().ok()) {
    report.errors.emplace_back(script->load_status().message());
    reports_.push_back(std::move(report));
    return;
  }
  const std::vector<ActionDef>& defs = script->actions();
  for (size_t i = 0; i < defs.size(); ++i) {
    const ActionDef& def = defs[i];
    const std::string name = def.entity + "." + def.action;
    bool taken = false;
    for (int version : {2, 3, 4}) {
      taken = taken || registry.Find(version, def.entity, def.action) != nullptr;
    }
    if (taken) {
      report.errors.push_back(script->file() + ":" + std::to_string(def.line) + ": " + name +
                              " already exists (built in, or declared by an earlier script); "
                              "skipped");
      continue;
    }
    for (int version : {2, 3, 4}) {
      api::ActionSpec spec;
      spec.version = version;
      spec.entity = def.entity;
      spec.action = def.action;
      spec.permissions = def.permissions;
      spec.writes = def.writes;
      spec.description = def.description;
      spec.params = def.params;
      spec.handler = ExtensionHandler{script, i, version};
      registry.Register(std::move(spec));
    }
    report.actions.push_back(name);
  }
  scripts_.push_back(std::move(script));
  reports_.push_back(std::move(report));
}

void ExtensionHost::RegisterMetaActions(api::ActionRegistry& registry) {
  std::set<std::string> entities;
  for (const auto& script : scripts_) {
    for (const ActionDef& def : script->actions()) entities.insert(def.entity);
  }
  for (const std::string& entity : entities) {
    for (int version : {3, 4}) {
      for (const char* action : {"getfields", "getactions"}) {
        if (registry.Find(version, entity, action) != nullptr) continue;
        registry.Register(MetaActionSpec(version, entity, action));
      }
    }
  }
}

}  // namespace kith::extensions
