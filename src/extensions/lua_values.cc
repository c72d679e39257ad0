#include "extensions/lua_values.h"

#include <lua.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/error_details.h"
#include "base/strings.h"
#include "extensions/lua_sandbox.h"

namespace kith::extensions {
namespace {

constexpr int kMaxDepth = 64;

void Push(lua_State* L, const Value& v, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "value nested more than %d levels deep", kMaxDepth);
  luaL_checkstack(L, 3, "value nested too deeply");
  switch (v.type()) {
    case Value::value_t::null:
    case Value::value_t::discarded:
      LuaSandbox::PushNull(L);
      return;
    case Value::value_t::boolean:
      lua_pushboolean(L, v.get<bool>() ? 1 : 0);
      return;
    case Value::value_t::number_integer:
      lua_pushinteger(L, static_cast<lua_Integer>(v.get<int64_t>()));
      return;
    case Value::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<lua_Integer>::max())) {
        lua_pushinteger(L, static_cast<lua_Integer>(u));
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(u));
      }
      return;
    }
    case Value::value_t::number_float:
      lua_pushnumber(L, v.get<double>());
      return;
    case Value::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case Value::value_t::binary:
      lua_pushnil(L);
      return;
    case Value::value_t::array: {
      lua_createtable(L, static_cast<int>(std::min<size_t>(v.size(), 1 << 20)), 0);
      lua_Integer i = 0;
      for (const Value& item : v) {
        Push(L, item, depth + 1);
        lua_rawseti(L, -2, ++i);
      }
      return;
    }
    case Value::value_t::object: {
      lua_createtable(L, 0, static_cast<int>(std::min<size_t>(v.size(), 1 << 20)));
      for (const auto& [key, item] : v.items()) {
        if (item.is_null()) continue;  // nil: absent
        lua_pushlstring(L, key.data(), key.size());
        Push(L, item, depth + 1);
        lua_rawset(L, -3);
      }
      return;
    }
  }
}

std::string Where(const std::string& what, const std::string& key) {
  if (!key.empty() && key[0] >= '0' && key[0] <= '9') return what + "[" + key + "]";
  return what + "." + key;
}

StatusOr<Value> Convert(lua_State* L, int index, const std::string& what, int depth);

// A table: a list when its keys are exactly 1..n, otherwise an object.
StatusOr<Value> ConvertTable(lua_State* L, int index, const std::string& what, int depth) {
  if (depth > kMaxDepth) {
    return InvalidArgument(what + ": tables nested more than " + std::to_string(kMaxDepth) +
                           " levels deep (a table that contains itself?)");
  }
  if (!lua_checkstack(L, 4)) return absl::ResourceExhaustedError("Lua stack exhausted");
  const int top = lua_gettop(L);
  std::vector<std::pair<std::string, Value>> members;
  std::vector<std::pair<lua_Integer, Value>> items;
  bool only_positive_integers = true;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    std::string key;
    bool int_key = false;
    lua_Integer n = 0;
    if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2)) {
      n = lua_tointeger(L, -2);
      key = std::to_string(n);
      int_key = true;
    } else if (lua_type(L, -2) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, -2, &len);  // a string already: no conversion
      key.assign(s, len);
      if (!IsValidUtf8(key)) {
        lua_settop(L, top);
        return InvalidArgument(what + ": a key is not valid UTF-8");
      }
    } else {
      std::string type = lua_typename(L, lua_type(L, -2));
      lua_settop(L, top);
      return InvalidArgument(what + ": a table key must be a string or an integer, not a " + type);
    }
    StatusOr<Value> v = Convert(L, lua_gettop(L), Where(what, key), depth + 1);
    if (!v.ok()) {
      lua_settop(L, top);
      return v.status();
    }
    if (!int_key || n < 1) only_positive_integers = false;
    if (int_key) items.emplace_back(n, *v);
    members.emplace_back(std::move(key), std::move(*v));
    lua_pop(L, 1);  // the value; the key stays for lua_next
  }
  lua_settop(L, top);
  if (only_positive_integers && !items.empty()) {
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (items.back().first == static_cast<lua_Integer>(items.size())) {
      Value list = Value::array();
      for (auto& [n, v] : items) list.push_back(std::move(v));
      return list;
    }
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    if ((a.first == "id") != (b.first == "id")) return a.first == "id";
    return a.first < b.first;
  });
  Value object = Value::object();
  for (auto& [k, v] : members) object[k] = std::move(v);
  return object;
}

StatusOr<Value> Convert(lua_State* L, int index, const std::string& what, int depth) {
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return Value(nullptr);
    case LUA_TBOOLEAN:
      return Value(lua_toboolean(L, index) != 0);
    case LUA_TNUMBER: {
      if (lua_isinteger(L, index)) return Value(static_cast<int64_t>(lua_tointeger(L, index)));
      double d = lua_tonumber(L, index);
      if (!std::isfinite(d)) return InvalidArgument(what + ": a number must be finite");
      return Value(d);
    }
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      std::string text(s, len);
      if (!IsValidUtf8(text)) return InvalidArgument(what + ": a string is not valid UTF-8");
      return Value(std::move(text));
    }
    case LUA_TLIGHTUSERDATA:
      if (LuaSandbox::IsNull(L, index)) return Value(nullptr);
      break;
    case LUA_TTABLE:
      return ConvertTable(L, index, what, depth);
    default:
      break;
  }
  return InvalidArgument(what + ": a " + std::string(lua_typename(L, lua_type(L, index))) +
                         " cannot be converted (only tables, strings, numbers, booleans and nil)");
}

}  // namespace

void PushValue(lua_State* L, const Value& value) {
  if (value.is_null()) {
    lua_pushnil(L);  // a top-level null is simply nothing
    return;
  }
  Push(L, value, 0);
}

StatusOr<Value> ToValue(lua_State* L, int index, const std::string& what) {
  return Convert(L, lua_absindex(L, index), what, 0);
}

}  // namespace kith::extensions
