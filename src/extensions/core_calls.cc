// kith.api(entity, action, params): a script's call into the core.
//
// params holding select, where, values, orderBy, limit (or another APIv4-only
// key) make an APIv4 call; any other table is APIv3 fields and options. The
// call runs through Dispatcher::RunIn in the request's transaction as the
// calling user (the permission check included), inside a savepoint, so a
// failed call leaves nothing behind even when the script catches its error.
#include <lua.hpp>

#include <set>

#include "base/error_details.h"
#include "base/strings.h"
#include "extensions/answers.h"
#include "extensions/lua_values.h"
#include "extensions/script.h"

namespace kith::extensions {
namespace {

bool IsV4Params(const Value& params) {
  static const std::set<std::string> kV4Only = {"select", "where",   "values", "orderBy", "limit",
                                                "offset", "join",    "groupBy", "having", "chain"};
  for (const auto& [key, value] : params.items()) {
    if (kV4Only.count(key)) return true;
  }
  return false;
}


}  // namespace

StatusOr<Value> Script::CallCore(const std::string& entity, const std::string& action,
                                 Value params) {
  if (frame_ == nullptr) {
    return absl::FailedPreconditionError(
        "kith.api can only be called inside an action's run function, not while the script "
        "loads");
  }
  api::ActionContext& ctx = *frame_->ctx;
  for (const char* key : {"checkPermissions", "check_permissions"}) {
    if (params.contains(key)) {
      return InvalidArgument(std::string("kith.api: ") + key +
                             " cannot be set; core calls always run as the calling user");
    }
  }
  params.erase("version");
  const int version = IsV4Params(params) ? 4 : 3;
  api::ApiCall call{entity, action, std::move(params), version};
  const api::ActionRegistry& registry = ctx.dispatcher.registry();
  const api::ActionSpec* spec = registry.Find(version, entity, action);
  if (spec == nullptr) {
    return NotFound("API (" + entity + ", " + action + ") does not exist",
                    {{"error_code", "not-found"}});
  }
  if (spec->handler.target<ExtensionHandler>() != nullptr) {
    return absl::FailedPreconditionError("kith.api cannot call another extension action (" +
                                         spec->entity + "." + spec->action + ")");
  }
  if (spec->writes && !frame_->def->writes) {
    return absl::FailedPreconditionError(
        Describe(*frame_->def) + " is declared read-only (writes = false) and cannot call " +
        spec->entity + "." + spec->action);
  }

  store::Transaction& txn = ctx.txn;
  Status mark = txn.Savepoint();
  if (!mark.ok() && mark.code() != absl::StatusCode::kUnimplemented) return mark;
  StatusOr<Value> answer = ctx.dispatcher.RunIn(txn, call, ctx.caller);
  if (mark.ok()) {
    Status end = answer.ok() ? txn.ReleaseSavepoint() : txn.RollbackToSavepoint();
    if (!end.ok()) {
      frame_->taint = end;
      return end;
    }
  } else if (!answer.ok() && spec->writes) {
    frame_->taint = answer.status();  // its writes cannot be undone alone
  }
  if (!answer.ok()) return answer.status();
  return *answer;
}

int Script::KithApi(lua_State* L) {
  auto* self = static_cast<Script*>(lua_touserdata(L, lua_upvalueindex(1)));
  std::string entity = luaL_checkstring(L, 1);
  std::string action = luaL_checkstring(L, 2);
  Value params = Value::object();
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    StatusOr<Value> v = ToValue(L, 3, "params");
    if (!v.ok()) {
      LuaSandbox::PushError(L, v.status());
      return lua_error(L);
    }
    if (v->is_array()) {
      LuaSandbox::PushError(
          L, InvalidArgument("kith.api: params must be a table of names and values, not a list"));
      return lua_error(L);
    }
    params = std::move(*v);
  }
  StatusOr<Value> answer = self->CallCore(entity, action, std::move(params));
  if (!answer.ok()) {
    LuaSandbox::PushError(L, answer.status());
    return lua_error(L);
  }
  PushValue(L, ScriptResult(*answer));
  return 1;
}

}  // namespace kith::extensions
