// Script: one extension file, loaded into its own LuaSandbox, with the
// actions it declared through kith.action(). Run() serves one call of one of
// those actions in one dialect (version 2, 3 or 4).
//
// The script sees a global `kith` table:
//   kith.action(entity, action, spec)   only while the file loads: declares
//       an action. spec = { permission = "perm" | {"perm", ...} (default
//       "administer CiviCRM", CiviCRM's own default; {} = any user),
//       params = { name = { type =, required =, title =, description = } },
//       run = function(params) ... end, writes = bool (default: false for
//       actions named get..., true otherwise), description = "..." }.
//   kith.api(entity, action, params)    only inside run: a core call as the
//       calling user, in the request's transaction (see core_calls.h).
//   kith.null                           JSON null inside lists.
//
// Thread-safety: Run() may be called from any thread; calls to one script
// are serialised (one Lua state, one mutex), different scripts run in
// parallel. Immutable after Load() apart from the Lua state itself.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/action_registry.h"
#include "base/status.h"
#include "base/value.h"
#include "extensions/lua_sandbox.h"

namespace kith::extensions {

// One action a script declared.
struct ActionDef {
  std::string entity;  // canonical CamelCase ("Dgwcontact")
  std::string action;  // lower-case ("get")
  std::vector<std::string> permissions;
  std::vector<api::ParamSpec> params;
  bool writes = false;
  std::string description;
  int line = 0;     // where kith.action was called
  int run_ref = 0;  // the run function, in the Lua registry
};

class Script {
 public:
  // Reads and runs `path` in a fresh sandbox. Never fails as such: a script
  // that cannot be read, does not compile, raises an error while loading,
  // runs over a limit or declares a bad action has load_status() set (its
  // message "<file>:<line>: ...") and no actions.
  static std::shared_ptr<Script> Load(const std::string& path, const SandboxLimits& limits);

  // The same from source text (tests); `file` is the name errors show.
  static std::shared_ptr<Script> FromSource(const std::string& file, const std::string& source,
                                            const SandboxLimits& limits);

  ~Script();

  const std::string& file() const { return file_; }
  const Status& load_status() const { return load_status_; }
  const std::vector<ActionDef>& actions() const { return actions_; }

  // Runs actions()[index] for the call in `ctx`, answering in `version`'s
  // shape (answers.h). Errors: kInvalidArgument for missing required or
  // mistyped parameters ("Mandatory key(s) missing from params array: x"),
  // the script's own error (kUnknown "<file>:<line>: ...", or the code of an
  // error table it raised), a core call's error it did not catch (with that
  // call's code and details), kResourceExhausted past a limit.
  StatusOr<Value> Run(api::ActionContext& ctx, size_t index, int version);

  // The core call behind kith.api (core_calls.cc); only while Run() runs.
  StatusOr<Value> CallCore(const std::string& entity, const std::string& action, Value params);

 private:
  struct Frame {
    api::ActionContext* ctx;
    const ActionDef* def;
    // A failed core call whose writes could not be undone on their own (no
    // savepoints): the whole action fails with it even if the script
    // caught it.
    Status taint;
  };

  explicit Script(std::string file) : file_(std::move(file)) {}
  void LoadSource(const std::string& source, const SandboxLimits& limits);
  Status InstallKithTable();
  StatusOr<Value> PrepareParams(const ActionDef& def, const Value& raw) const;
  std::string Describe(const ActionDef& def) const;

  static int KithAction(lua_State* L);
  static int KithApi(lua_State* L);
  Status DeclareAction(lua_State* L);

  std::string file_;
  Status load_status_;
  std::vector<ActionDef> actions_;
  std::mutex mu_;  // serialises Run()
  std::unique_ptr<LuaSandbox> sandbox_;
  bool loading_ = false;
  Frame* frame_ = nullptr;  // the running action, guarded by mu_
};

// The handler of every extension action in an ActionRegistry. A named type,
// so that kith.api recognises an extension action (spec.handler.target<
// ExtensionHandler>()) and refuses to call it: a call from one script into
// another could deadlock on their mutexes.
struct ExtensionHandler {
  std::shared_ptr<Script> script;
  size_t index = 0;
  int version = 2;
  StatusOr<Value> operator()(api::ActionContext& ctx) const {
    return script->Run(ctx, index, version);
  }
};

}  // namespace kith::extensions
