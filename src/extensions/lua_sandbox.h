// LuaSandbox: one Lua 5.4 state for untrusted extension code.
//
// The state holds only the safe parts of Lua's standard library: the base
// functions without load, loadfile, dofile, require, collectgarbage and warn
// (print writes to stderr, tagged with the sandbox's name), string without
// string.dump, table, math, utf8 and coroutine. There is no io, os, debug or
// package. Everything the state allocates counts against a memory cap, and
// every Call() gets an instruction budget. Code past either limit is stopped:
// pcall may catch the error, but from then on the code fails again within a
// few instructions, so it cannot keep running.
//
// Lua is the C++ build of Debian's liblua5.4 (liblua5.4-c++): Lua errors
// unwind as C++ exceptions, so C++ objects on the way are destroyed properly.
// Every Lua API call that may raise must run inside Call().
//
// Not thread-safe: the owner serialises all use of one sandbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

struct lua_State;
struct lua_Debug;

namespace kith::extensions {

struct SandboxLimits {
  size_t memory_bytes = size_t{64} << 20;  // all the state holds, at any time
  int64_t instructions = 20'000'000;       // VM instructions per Call()
};

class LuaSandbox {
 public:
  // A fresh state; `name` (the script's file name) tags print output and
  // limit errors. kResourceExhausted when the bare state does not fit in
  // limits.memory_bytes.
  static StatusOr<std::unique_ptr<LuaSandbox>> Create(const SandboxLimits& limits,
                                                      std::string name);
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  lua_State* state() const { return L_; }
  const std::string& name() const { return name_; }
  const SandboxLimits& limits() const { return limits_; }

  // Runs `body` in a protected Lua call with a fresh instruction budget, and
  // returns what body returns. When Lua code raised an error instead:
  //   over the instruction budget: kResourceExhausted "<file>:<line>: stopped:
  //     over the instruction budget of N instructions"
  //   over the memory cap: kResourceExhausted "<file>: stopped: over the
  //     memory limit of N bytes"
  //   an error table {message=, code=, details=} (kith.api failures, or a
  //     script's own typed error): that message, code and details
  //   any other error value: kUnknown with its text, which Lua prefixes with
  //     "<file>:<line>:" for runtime errors and error("...")
  Status Call(const std::function<Status(lua_State*)>& body);

  // Compiles `source` (text only, never bytecode) as a chunk named
  // `chunk_name` (errors read "<chunk_name>:<line>: ...") and runs it in
  // Call(). Syntax errors come back as kInvalidArgument.
  Status RunSource(std::string_view source, const std::string& chunk_name);

  // Bytes the state holds now.
  size_t memory_used() const;

  // Pushes kith's null sentinel (a light userdata): a JSON null inside a
  // list, where nil would end the sequence.
  static void PushNull(lua_State* L);
  static bool IsNull(lua_State* L, int index);

  // Pushes an error table for `status` ({message=, code=, details=}, printing
  // as its message) for lua_error. Raises only on memory exhaustion.
  static void PushError(lua_State* L, const Status& status);

  // The Status an error value raised by Lua code stands for (see Call()).
  // Never raises.
  static Status StatusFromError(lua_State* L, int index);

  // The sandbox owning `L` (any of its threads).
  static LuaSandbox* From(lua_State* L);

 private:
  struct Allocator {
    size_t limit = 0;
    size_t used = 0;
    bool exceeded = false;  // an allocation was refused since the flag was reset
  };

  LuaSandbox(const SandboxLimits& limits, std::string name);
  Status OpenLibraries();
  static void* Allocate(void* ud, void* ptr, size_t old_size, size_t new_size);
  static void CountHook(lua_State* L, lua_Debug* ar);
  static int Print(lua_State* L);

  SandboxLimits limits_;
  std::string name_;
  Allocator alloc_;
  lua_State* L_ = nullptr;
  int64_t remaining_ = 0;      // instructions left in this Call()
  bool over_budget_ = false;   // this Call() ran out of instructions
  std::string budget_where_;   // "<file>:<line>" where the budget ran out
};

}  // namespace kith::extensions
