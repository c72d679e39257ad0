#include "extensions/script.h"

#include <lua.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api/field_values.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "extensions/answers.h"
#include "extensions/lua_values.h"
#include "schema/schema.h"

namespace kith::extensions {
namespace {

// Request parameters that carry credentials or steer the protocol: never an
// action's parameters, and not allowed as parameter names.
const std::set<std::string>& ReservedParams() {
  static const std::set<std::string> reserved = {
      "q", "fnName", "json", "key", "api_key", "PHPSESSID", "version", "entity", "action",
      "prettyprint", "callback", "debug", "sequential", "checkPermissions", "check_permissions",
      "_authx", "_authxSiteKey", "_authxSes"};
  return reserved;
}

bool IsName(std::string_view s) {
  if (s.empty() || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A declared type name in its canonical spelling; "" when unknown.
std::string CanonicalType(const std::string& type) {
  static const std::vector<std::pair<const char*, const char*>> kAliases = {
      {"Int", "Integer"}, {"Bool", "Boolean"}, {"DateTime", "Timestamp"}};
  for (auto [alias, name] : kAliases) {
    if (EqualsIgnoreCase(type, alias)) return name;
  }
  if (EqualsIgnoreCase(type, "Array")) return "Array";
  for (auto t : {schema::FieldType::kInt, schema::FieldType::kString, schema::FieldType::kText,
                 schema::FieldType::kBool, schema::FieldType::kDate, schema::FieldType::kDateTime,
                 schema::FieldType::kFloat, schema::FieldType::kMoney}) {
    if (EqualsIgnoreCase(type, schema::FieldTypeName(t))) return std::string(schema::FieldTypeName(t));
  }
  return "";
}

schema::FieldType FieldTypeOf(const std::string& canonical) {
  for (auto t : {schema::FieldType::kInt, schema::FieldType::kText, schema::FieldType::kBool,
                 schema::FieldType::kDate, schema::FieldType::kDateTime, schema::FieldType::kFloat,
                 schema::FieldType::kMoney}) {
    if (canonical == schema::FieldTypeName(t)) return t;
  }
  return schema::FieldType::kString;
}

std::string ReadFile(const std::string& path, Status& status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    status = absl::UnavailableError("cannot read " + path);
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The string keys of the table at `index`, for catching misspelt keys.
std::vector<std::string> KeysOf(lua_State* L, int index) {
  std::vector<std::string> keys;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      keys.emplace_back(lua_tostring(L, -2));
    } else {
      keys.emplace_back("?");
    }
    lua_pop(L, 1);
  }
  return keys;
}

Status CheckKeys(lua_State* L, int index, const std::set<std::string>& allowed,
                 const std::string& where) {
  for (const std::string& key : KeysOf(L, index)) {
    if (!allowed.count(key)) {
      return InvalidArgument(where + ": unknown key '" + key + "' (allowed: " +
                             Join(std::vector<std::string>(allowed.begin(), allowed.end()), ", ") +
                             ")");
    }
  }
  return Status();
}

// Reads one parameter description (the table at the top of the stack).
StatusOr<api::ParamSpec> ReadParamSpec(lua_State* L, const std::string& name) {
  api::ParamSpec p;
  p.name = name;
  p.title = name;
  const int t = lua_gettop(L);
  if (lua_type(L, t) != LUA_TTABLE) {
    return InvalidArgument("params." + name + " must be a table such as { type = \"String\" }");
  }
  KITH_RETURN_IF_ERROR(
      CheckKeys(L, t, {"type", "required", "title", "description"}, "params." + name));
  lua_getfield(L, t, "type");
  if (!lua_isnil(L, -1)) {
    std::string type = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    p.type = CanonicalType(type);
    if (p.type.empty()) {
      lua_pop(L, 1);
      return InvalidArgument("params." + name + ".type '" + type +
                             "' is not one of String, Text, Integer, Boolean, Float, Money, Date, "
                             "Timestamp, Array");
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, t, "required");
  p.required = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  for (auto [key, out] : {std::pair<const char*, std::string*>{"title", &p.title},
                          std::pair<const char*, std::string*>{"description", &p.description}}) {
    lua_getfield(L, t, key);
    if (lua_type(L, -1) == LUA_TSTRING) *out = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  return p;
}

}  // namespace

std::shared_ptr<Script> Script::Load(const std::string& path, const SandboxLimits& limits) {
  std::string file = std::filesystem::path(path).filename().string();
  Status read;
  std::string source = ReadFile(path, read);
  if (!read.ok()) {
    std::shared_ptr<Script> script(new Script(file));
    script->load_status_ = absl::UnavailableError(file + ": cannot read the file");
    return script;
  }
  return FromSource(file, source, limits);
}

std::shared_ptr<Script> Script::FromSource(const std::string& file, const std::string& source,
                                           const SandboxLimits& limits) {
  std::shared_ptr<Script> script(new Script(file));
  script->LoadSource(source, limits);
  return script;
}

Script::~Script() = default;

void Script::LoadSource(const std::string& source, const SandboxLimits& limits) {
  auto sandbox = LuaSandbox::Create(limits, file_);
  if (!sandbox.ok()) {
    load_status_ = sandbox.status();
    return;
  }
  sandbox_ = std::move(*sandbox);
  Status s = InstallKithTable();
  if (s.ok()) {
    loading_ = true;
    s = sandbox_->RunSource(source, file_);
    loading_ = false;
  }
  if (s.ok()) return;
  // Every load error names the file (Lua's own messages already do).
  std::string message(s.message());
  if (message.rfind(file_ + ":", 0) != 0) message = file_ + ": " + message;
  load_status_ = Status(s.code(), message);
  actions_.clear();
  sandbox_.reset();
}

Status Script::InstallKithTable() {
  return sandbox_->Call([this](lua_State* L) {
    lua_createtable(L, 0, 3);
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, &Script::KithAction, 1);
    lua_setfield(L, -2, "action");
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, &Script::KithApi, 1);
    lua_setfield(L, -2, "api");
    LuaSandbox::PushNull(L);
    lua_setfield(L, -2, "null");
    lua_setglobal(L, "kith");
    return Status();
  });
}

int Script::KithAction(lua_State* L) {
  auto* self = static_cast<Script*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (!self->loading_) return luaL_error(L, "kith.action can only be called while the script loads");
  Status s = self->DeclareAction(L);
  if (!s.ok()) {
    std::string message(s.message());
    return luaL_error(L, "kith.action: %s", message.c_str());  // adds the caller's file:line
  }
  return 0;
}

Status Script::DeclareAction(lua_State* L) {
  if (lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING) {
    return InvalidArgument("kith.action(entity, action, spec) takes two names and a table");
  }
  ActionDef def;
  std::string entity = lua_tostring(L, 1);
  std::string action = lua_tostring(L, 2);
  if (!IsName(entity)) return InvalidArgument("'" + entity + "' is not a valid entity name");
  if (!IsName(action)) return InvalidArgument("'" + action + "' is not a valid action name");
  def.entity = api::CanonicalEntityName(entity);
  def.action = AsciiLower(action);
  const std::string name = def.entity + "." + def.action;
  if (def.action == "getfields" || def.action == "getactions") {
    return InvalidArgument(name + ": getfields and getactions are provided by kith");
  }
  for (const ActionDef& other : actions_) {
    if (other.entity == def.entity && other.action == def.action) {
      return InvalidArgument(name + " is declared twice");
    }
  }
  if (lua_type(L, 3) != LUA_TTABLE) return InvalidArgument(name + ": the spec must be a table");
  lua_settop(L, 3);
  KITH_RETURN_IF_ERROR(CheckKeys(L, 3, {"permission", "params", "run", "writes", "description"}, name));

  lua_getfield(L, 3, "permission");
  if (lua_isnil(L, -1)) {
    def.permissions = {"administer CiviCRM"};
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    def.permissions = {lua_tostring(L, -1)};
  } else if (lua_type(L, -1) == LUA_TTABLE) {
    for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; ++i) {
      if (lua_type(L, -1) != LUA_TSTRING) {
        return InvalidArgument(name + ": permission must be a name or a list of names");
      }
      def.permissions.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);  // the nil that ended the list
  } else {
    return InvalidArgument(name + ": permission must be a name or a list of names");
  }
  lua_settop(L, 3);

  lua_getfield(L, 3, "params");
  if (lua_type(L, -1) == LUA_TTABLE) {
    const int params = lua_gettop(L);
    for (const std::string& key : KeysOf(L, params)) {
      if (key == "?" || !IsName(key)) {
        return InvalidArgument(name + ": parameter names must be names such as external_id");
      }
      if (ReservedParams().count(key)) {
        return InvalidArgument(name + ": '" + key + "' is reserved by the protocols");
      }
      lua_getfield(L, params, key.c_str());
      KITH_ASSIGN_OR_RETURN(api::ParamSpec p, ReadParamSpec(L, key));
      lua_pop(L, 1);
      def.params.push_back(std::move(p));
    }
    std::sort(def.params.begin(), def.params.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  } else if (!lua_isnil(L, -1)) {
    return InvalidArgument(name + ": params must be a table of parameter descriptions");
  }
  lua_settop(L, 3);

  lua_getfield(L, 3, "writes");
  if (lua_isnil(L, -1)) {
    def.writes = def.action.rfind("get", 0) != 0;
  } else if (lua_type(L, -1) == LUA_TBOOLEAN) {
    def.writes = lua_toboolean(L, -1) != 0;
  } else {
    return InvalidArgument(name + ": writes must be true or false");
  }
  lua_settop(L, 3);

  lua_getfield(L, 3, "description");
  if (lua_type(L, -1) == LUA_TSTRING) def.description = lua_tostring(L, -1);
  lua_settop(L, 3);

  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "l", &ar) != 0) def.line = ar.currentline;

  lua_getfield(L, 3, "run");
  if (lua_type(L, -1) != LUA_TFUNCTION) return InvalidArgument(name + ": run must be a function");
  def.run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  actions_.push_back(std::move(def));
  return Status();
}

std::string Script::Describe(const ActionDef& def) const {
  return def.entity + "." + def.action + " (" + file_ + ")";
}

StatusOr<Value> Script::PrepareParams(const ActionDef& def, const Value& raw) const {
  Value params = Value::object();
  if (raw.is_object()) {
    for (const auto& [key, value] : raw.items()) {
      if (!ReservedParams().count(key)) params[key] = value;
    }
  }
  std::vector<std::string> missing;
  for (const api::ParamSpec& p : def.params) {
    const bool absent = !params.contains(p.name) || params[p.name].is_null() ||
                        (params[p.name].is_string() && params[p.name].get<std::string>().empty());
    if (absent) {
      if (p.required) missing.push_back(p.name);
      continue;
    }
    if (p.type == "Array") continue;
    schema::Field field;
    field.name = p.name;
    field.type = FieldTypeOf(p.type);
    KITH_ASSIGN_OR_RETURN(Value typed, api::CoerceFieldValue(field, params[p.name]));
    params[p.name] = std::move(typed);
  }
  if (!missing.empty()) {
    return InvalidArgument("Mandatory key(s) missing from params array: " + Join(missing, ", "),
                           Value{{"fields", missing}, {"error_code", "mandatory_missing"}});
  }
  return params;
}

StatusOr<Value> Script::Run(api::ActionContext& ctx, size_t index, int version) {
  if (index >= actions_.size() || sandbox_ == nullptr) return Internal("no such extension action");
  const ActionDef& def = actions_[index];
  KITH_ASSIGN_OR_RETURN(Value params, PrepareParams(def, ctx.params));
  const std::string what = Describe(def);
  Value returned;
  Status status;
  Frame frame{&ctx, &def, Status()};
  {
    std::lock_guard<std::mutex> lock(mu_);
    frame_ = &frame;
    status = sandbox_->Call([&](lua_State* L) -> Status {
      lua_rawgeti(L, LUA_REGISTRYINDEX, def.run_ref);
      PushValue(L, params);
      lua_call(L, 1, 1);
      auto v = ToValue(L, -1, "the result");
      if (!v.ok()) {
        return Status(absl::StatusCode::kUnknown,
                      what + " returned what kith cannot answer: " + std::string(v.status().message()));
      }
      returned = std::move(*v);
      return Status();
    });
    frame_ = nullptr;
  }
  if (status.ok() && !frame.taint.ok()) status = frame.taint;
  if (!status.ok()) return status;
  switch (version) {
    case 2: return V2Answer(returned, what);
    case 3: {
      bool sequential = ctx.params.is_object() && ctx.params.contains("sequential") &&
                        Truthy(ctx.params["sequential"]);
      return V3Answer(returned, sequential, what);
    }
    default: return V4Answer(returned, what);
  }
}

}  // namespace kith::extensions
