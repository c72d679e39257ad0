#include "extensions/lua_sandbox.h"

#include <gtest/gtest.h>
#include <lua.hpp>

#include "extensions/lua_values.h"

namespace kith::extensions {
namespace {

std::unique_ptr<LuaSandbox> NewSandbox(SandboxLimits limits = {}) {
  auto sb = LuaSandbox::Create(limits, "test.lua");
  EXPECT_TRUE(sb.ok()) << sb.status();
  return std::move(*sb);
}

// Runs `source` and returns the global `result` as a Value.
StatusOr<Value> Eval(LuaSandbox& sb, const std::string& source) {
  KITH_RETURN_IF_ERROR(sb.RunSource(source, "test.lua"));
  Value out;
  KITH_RETURN_IF_ERROR(sb.Call([&](lua_State* L) -> Status {
    lua_getglobal(L, "result");
    KITH_ASSIGN_OR_RETURN(out, ToValue(L, -1, "result"));
    return Status();
  }));
  return out;
}

TEST(LuaSandboxTest, ForbiddenGlobalsAreAbsent) {
  auto sb = NewSandbox();
  for (const char* name : {"io", "os", "debug", "package", "load", "loadfile", "dofile",
                           "require", "collectgarbage", "loadstring", "warn"}) {
    auto v = Eval(*sb, std::string("result = type(") + name + ")");
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, "nil") << name;
  }
  auto dump = Eval(*sb, "result = { type(string.dump), type((''):rep(1).dump) }");
  ASSERT_TRUE(dump.ok()) << dump.status();
  EXPECT_EQ(*dump, Value({"nil", "nil"}));
}

TEST(LuaSandboxTest, SafeLibrariesAreThere) {
  auto sb = NewSandbox();
  auto v = Eval(*sb, R"(
    local t = {}
    table.insert(t, string.format("%d-%s", math.floor(2.5), ("x"):upper()))
    local co = coroutine.wrap(function() coroutine.yield(utf8.char(228)) end)
    t[#t + 1] = co()
    local ok, err = pcall(error, "caught", 0)
    t[#t + 1] = err
    result = t)");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, Value({"2-X", "ä", "caught"}));
}

TEST(LuaSandboxTest, BytecodeIsRefused) {
  auto sb = NewSandbox();
  Status s = sb->RunSource(std::string("\x1bLua\x54\x00", 6), "bin.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("binary"), std::string::npos) << s;
}

TEST(LuaSandboxTest, SyntaxErrorNamesFileAndLine) {
  auto sb = NewSandbox();
  Status s = sb->RunSource("local a = 1\nlocal b = = 2\n", "broken.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("broken.lua:2:", 0), 0u) << s;
}

TEST(LuaSandboxTest, RuntimeErrorNamesFileAndLine) {
  auto sb = NewSandbox();
  Status s = sb->RunSource("local t = nil\n\nreturn t.x\n", "crash.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(std::string(s.message()).rfind("crash.lua:3: attempt to index", 0), 0u) << s;
}

TEST(LuaSandboxTest, MemoryCapStopsAScriptAndTheStateStaysUsable) {
  SandboxLimits limits;
  limits.memory_bytes = 4u << 20;
  auto sb = NewSandbox(limits);
  Status s = sb->RunSource(
      "local t = {}\nfor i = 1, 1e8 do t[i] = ('x'):rep(64) .. i end\n", "hog.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(std::string(s.message()).find("memory limit of 4194304 bytes"), std::string::npos) << s;
  EXPECT_LE(sb->memory_used(), limits.memory_bytes);
  auto v = Eval(*sb, "result = 1 + 1");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 2);
}

TEST(LuaSandboxTest, OneHugeAllocationIsRefused) {
  SandboxLimits limits;
  limits.memory_bytes = 4u << 20;
  auto sb = NewSandbox(limits);
  Status s = sb->RunSource("local s = ('x'):rep(100 * 1024 * 1024)", "big.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(LuaSandboxTest, InstructionBudgetStopsARunawayLoop) {
  SandboxLimits limits;
  limits.instructions = 100000;
  auto sb = NewSandbox(limits);
  Status s = sb->RunSource("local n = 0\nwhile true do n = n + 1 end\n", "loop.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(std::string(s.message()),
            "loop.lua:2: stopped: over the instruction budget of 100000 instructions");
  // The budget is per call: the next call starts afresh.
  auto v = Eval(*sb, "local n = 0 for i = 1, 1000 do n = n + i end result = n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 500500);
}

TEST(LuaSandboxTest, PcallCannotSwallowTheBudget) {
  SandboxLimits limits;
  limits.instructions = 100000;
  auto sb = NewSandbox(limits);
  Status s = sb->RunSource(R"(
    while true do
      pcall(function() while true do end end)
      pcall(pcall, function() while true do end end)
    end)",
                           "sly.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(LuaSandboxTest, CoroutinesShareTheBudget) {
  SandboxLimits limits;
  limits.instructions = 100000;
  auto sb = NewSandbox(limits);
  Status s = sb->RunSource(R"(
    local co = coroutine.wrap(function() while true do coroutine.yield() end end)
    while true do co() end)",
                           "co.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(LuaSandboxTest, ErrorTablesKeepTheirCodeAndDetails) {
  auto sb = NewSandbox();
  Status s = sb->RunSource(
      "error({ message = 'no such person', code = 'not_found', details = { error_code = 'x1' } })",
      "t.lua");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no such person");
}

TEST(LuaSandboxTest, PushedErrorsPrintAsTheirMessage) {
  auto sb = NewSandbox();
  Status s = sb->Call([](lua_State* L) {
    LuaSandbox::PushError(L, absl::PermissionDeniedError("not yours"));
    lua_setglobal(L, "e");
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s;
  auto v = Eval(*sb, "result = { tostring(e), e.code, e.message }");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, Value({"not yours", "permission_denied", "not yours"}));
}

TEST(LuaValuesTest, RoundTripKeepsTypesAndSortsKeys) {
  auto sb = NewSandbox();
  Value in = {{"b", "text"}, {"a", 1}, {"id", 7}, {"f", 1.5}, {"t", true},
              {"gone", nullptr}, {"list", {1, nullptr, "x"}}};
  Value out;
  Status s = sb->Call([&](lua_State* L) -> Status {
    PushValue(L, in);
    KITH_ASSIGN_OR_RETURN(out, ToValue(L, -1, "v"));
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.dump(),
            R"({"id":7,"a":1,"b":"text","f":1.5,"list":[1,null,"x"],"t":true})");
}

TEST(LuaValuesTest, RefusesWhatJsonCannotHold) {
  auto sb = NewSandbox();
  for (const char* expr : {"{ f = print }", "{ [true] = 1 }", "(function() local t = {} t.t = t return t end)()",
                           "{ s = '\\xff' }", "{ n = 0/0 }"}) {
    Status s = sb->RunSource(std::string("result = ") + expr, "t.lua");
    ASSERT_TRUE(s.ok()) << s;
    s = sb->Call([&](lua_State* L) -> Status {
      lua_getglobal(L, "result");
      return ToValue(L, -1, "result").status();
    });
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << expr << ": " << s;
  }
}

TEST(LuaValuesTest, ListsAndObjects) {
  auto sb = NewSandbox();
  auto v = Eval(*sb, "result = { {1, 2}, {}, { [1] = 'a', [3] = 'c' }, { 'x', k = 'y' } }");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"([[1,2],{},{"1":"a","3":"c"},{"1":"x","k":"y"}])");
}

}  // namespace
}  // namespace kith::extensions
