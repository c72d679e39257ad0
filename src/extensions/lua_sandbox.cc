#include "extensions/lua_sandbox.h"

#include <lua.hpp>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "base/error_details.h"
#include "base/strings.h"
#include "extensions/lua_values.h"

namespace kith::extensions {
namespace {

// The count hook runs every kHookEvery VM instructions (cheap enough, and a
// runaway loop overshoots its budget by at most this much).
constexpr int kHookEvery = 1000;

// Address of this byte = kith.null.
char null_sentinel;

constexpr char kErrorMetatable[] = "kith.error";

struct Trampoline {
  const std::function<Status(lua_State*)>* body;
  Status result;
};

int RunBody(lua_State* L) {
  auto* t = static_cast<Trampoline*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  try {
    t->result = (*t->body)(L);
  } catch (const std::exception& e) {
    // C++ exceptions other than Lua's own (which are not std::exception)
    // must not reach Lua's catch-all.
    t->result = Internal(std::string("extension host fault: ") + e.what());
  }
  return 0;
}

int Panic(lua_State* L) {
  const char* msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
  std::cerr << "kith: Lua error outside a protected call: " << msg << std::endl;
  std::abort();
}

int ErrorToString(lua_State* L) {
  lua_getfield(L, 1, "message");
  if (lua_type(L, -1) != LUA_TSTRING) lua_pushliteral(L, "error");
  return 1;
}

absl::StatusCode CodeFromName(std::string_view name) {
  for (int c = 1; c <= 16; ++c) {
    auto code = static_cast<absl::StatusCode>(c);
    if (EqualsIgnoreCase(name, absl::StatusCodeToString(code))) return code;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

LuaSandbox::LuaSandbox(const SandboxLimits& limits, std::string name)
    : limits_(limits), name_(std::move(name)) {
  alloc_.limit = limits.memory_bytes;
}

LuaSandbox::~LuaSandbox() {
  if (L_ == nullptr) return;
  // Finalizers (__gc) a script set run now: keep them from looping forever.
  over_budget_ = true;
  lua_close(L_);
}

StatusOr<std::unique_ptr<LuaSandbox>> LuaSandbox::Create(const SandboxLimits& limits,
                                                         std::string name) {
  std::unique_ptr<LuaSandbox> sb(new LuaSandbox(limits, std::move(name)));
  sb->L_ = lua_newstate(&LuaSandbox::Allocate, &sb->alloc_);
  if (sb->L_ == nullptr) {
    return absl::ResourceExhaustedError(sb->name_ + ": the memory limit of " +
                                        std::to_string(limits.memory_bytes) +
                                        " bytes is too small for a Lua state");
  }
  lua_atpanic(sb->L_, &Panic);
  *static_cast<LuaSandbox**>(lua_getextraspace(sb->L_)) = sb.get();
  lua_sethook(sb->L_, &LuaSandbox::CountHook, LUA_MASKCOUNT, kHookEvery);
  KITH_RETURN_IF_ERROR(sb->OpenLibraries());
  return sb;
}

LuaSandbox* LuaSandbox::From(lua_State* L) {
  return *static_cast<LuaSandbox**>(lua_getextraspace(L));
}

void* LuaSandbox::Allocate(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* a = static_cast<Allocator*>(ud);
  size_t old = ptr != nullptr ? old_size : 0;  // without ptr, old_size is a type tag
  if (new_size == 0) {
    std::free(ptr);
    a->used -= old;
    return nullptr;
  }
  if (new_size > old && a->used - old + new_size > a->limit) {
    a->exceeded = true;
    return nullptr;  // Lua raises "not enough memory" (after an emergency GC)
  }
  void* p = std::realloc(ptr, new_size);
  if (p == nullptr) {
    if (new_size <= old) return ptr;  // Lua assumes shrinking never fails
    return nullptr;
  }
  a->used = a->used - old + new_size;
  return p;
}

size_t LuaSandbox::memory_used() const { return alloc_.used; }

void LuaSandbox::CountHook(lua_State* L, lua_Debug* ar) {
  LuaSandbox* sb = From(L);
  sb->remaining_ -= lua_gethookcount(L);
  if (sb->remaining_ >= 0 && !sb->over_budget_) return;
  if (!sb->over_budget_) {
    sb->over_budget_ = true;
    if (lua_getinfo(L, "Sl", ar) != 0 && ar->currentline > 0) {
      sb->budget_where_ = std::string(ar->short_src) + ":" + std::to_string(ar->currentline);
    }
  }
  // From now on every instruction of this thread fails, so code that catches
  // the error with pcall is stopped again at once, level by level.
  lua_sethook(L, &LuaSandbox::CountHook, LUA_MASKCOUNT, 1);
  luaL_error(L, "stopped: over the instruction budget of %I instructions",
             static_cast<lua_Integer>(sb->limits_.instructions));
}

int LuaSandbox::Print(lua_State* L) {
  LuaSandbox* sb = From(L);
  std::string line;
  int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    size_t len = 0;
    const char* s = luaL_tolstring(L, i, &len);
    if (i > 1) line += '\t';
    line.append(s, len);
    lua_pop(L, 1);
  }
  std::cerr << "kith extension " << sb->name_ << ": " << line << std::endl;
  return 0;
}

Status LuaSandbox::OpenLibraries() {
  return Call([](lua_State* L) {
    static const luaL_Reg kLibraries[] = {
        {LUA_GNAME, luaopen_base},          {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},    {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},    {LUA_COLIBNAME, luaopen_coroutine}};
    for (const luaL_Reg& lib : kLibraries) {
      luaL_requiref(L, lib.name, lib.func, 1);
      lua_pop(L, 1);
    }
    // What reaches outside the sandbox or around its limits goes.
    for (const char* name : {"dofile", "loadfile", "load", "require", "collectgarbage", "warn"}) {
      lua_pushnil(L);
      lua_setglobal(L, name);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_pushcfunction(L, &LuaSandbox::Print);
    lua_setglobal(L, "print");
    // The metatable of error tables (PushError): they print as their message.
    luaL_newmetatable(L, kErrorMetatable);
    lua_pushcfunction(L, &ErrorToString);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    return Status();
  });
}

Status LuaSandbox::Call(const std::function<Status(lua_State*)>& body) {
  remaining_ = limits_.instructions;
  over_budget_ = false;
  budget_where_.clear();
  alloc_.exceeded = false;
  lua_sethook(L_, &LuaSandbox::CountHook, LUA_MASKCOUNT, kHookEvery);
  const int top = lua_gettop(L_);
  if (!lua_checkstack(L_, 3)) return absl::ResourceExhaustedError(name_ + ": Lua stack exhausted");
  Trampoline t{&body, Status()};
  lua_pushcfunction(L_, &RunBody);  // a light C function: no allocation
  lua_pushlightuserdata(L_, &t);
  const int rc = lua_pcall(L_, 1, 0, 0);
  Status result = t.result;
  if (rc != LUA_OK) {
    if (over_budget_) {
      result = absl::ResourceExhaustedError(
          (budget_where_.empty() ? name_ : budget_where_) +
          ": stopped: over the instruction budget of " + std::to_string(limits_.instructions) +
          " instructions");
    } else if (rc == LUA_ERRMEM || alloc_.exceeded) {
      result = absl::ResourceExhaustedError(name_ + ": stopped: over the memory limit of " +
                                            std::to_string(limits_.memory_bytes) + " bytes");
    } else {
      result = StatusFromError(L_, -1);
    }
  }
  lua_settop(L_, top);
  over_budget_ = false;
  lua_sethook(L_, &LuaSandbox::CountHook, LUA_MASKCOUNT, kHookEvery);
  return result;
}

Status LuaSandbox::RunSource(std::string_view source, const std::string& chunk_name) {
  Status compiled;
  Status ran = Call([&](lua_State* L) {
    std::string name = "@" + chunk_name;
    if (luaL_loadbufferx(L, source.data(), source.size(), name.c_str(), "t") != LUA_OK) {
      compiled = InvalidArgument(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                                 : "cannot compile");
      return compiled;
    }
    lua_call(L, 0, 0);
    return Status();
  });
  return ran;
}

void LuaSandbox::PushNull(lua_State* L) { lua_pushlightuserdata(L, &null_sentinel); }

bool LuaSandbox::IsNull(lua_State* L, int index) {
  return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == &null_sentinel;
}

void LuaSandbox::PushError(lua_State* L, const Status& status) {
  lua_createtable(L, 0, 3);
  std::string message(status.message());
  lua_pushlstring(L, message.data(), message.size());
  lua_setfield(L, -2, "message");
  std::string code = AsciiLower(absl::StatusCodeToString(status.code()));
  lua_pushlstring(L, code.data(), code.size());
  lua_setfield(L, -2, "code");
  Value details = ErrorDetails(status);
  if (!details.empty()) {
    PushValue(L, details);
    lua_setfield(L, -2, "details");
  }
  luaL_setmetatable(L, kErrorMetatable);
}

Status LuaSandbox::StatusFromError(lua_State* L, int index) {
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
    case LUA_TSTRING:
      return Status(absl::StatusCode::kUnknown, lua_tostring(L, index));
    case LUA_TNUMBER: {
      std::string text = lua_isinteger(L, index) ? std::to_string(lua_tointeger(L, index))
                                                 : std::to_string(lua_tonumber(L, index));
      return Status(absl::StatusCode::kUnknown, text);
    }
    case LUA_TTABLE:
      break;
    default:
      return Status(absl::StatusCode::kUnknown,
                    std::string("(error object is a ") + lua_typename(L, lua_type(L, index)) +
                        " value)");
  }
  // {message=, code=, details=}, read without metamethods or allocation.
  std::string message = "(error object is a table value)";
  absl::StatusCode code = absl::StatusCode::kUnknown;
  Value details = Value::object();
  if (!lua_checkstack(L, 4)) return Status(code, message);
  const int top = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      std::string key = lua_tostring(L, -2);
      if (key == "message" && lua_type(L, -1) == LUA_TSTRING) {
        message = lua_tostring(L, -1);
      } else if (key == "code" && lua_type(L, -1) == LUA_TSTRING) {
        code = CodeFromName(lua_tostring(L, -1));
      } else if (key == "details" && lua_type(L, -1) == LUA_TTABLE) {
        auto v = ToValue(L, -1, "details");
        if (v.ok() && v->is_object()) details = *v;
      }
    }
    lua_pop(L, 1);
  }
  lua_settop(L, top);
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  return ErrorWithDetails(code, message, details);
}

}  // namespace kith::extensions
