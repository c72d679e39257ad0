// Conversions between kith's Value (ordered JSON) and Lua values, for the
// parameters an extension receives and the records it returns.
//
//   Value -> Lua:  objects become tables with string keys (a null member is
//                  left out: nil means absent); arrays become sequences (a
//                  null entry becomes kith.null, so the sequence keeps its
//                  length); integers, floats, strings and booleans map to
//                  their Lua types.
//   Lua -> Value:  a table whose keys are exactly 1..n (n >= 1) is a list;
//                  any other table is an object (integer keys as decimal
//                  text), its keys sorted with "id" first so answers do not
//                  depend on Lua's hash order; an empty table is an empty
//                  object. nil and kith.null are null. Functions, userdata,
//                  threads, NaN/infinite numbers, strings that are not UTF-8,
//                  keys that are not strings or integers and tables nested
//                  deeper than 64 levels (a cycle) are refused.
#pragma once

#include "base/status.h"
#include "base/value.h"

struct lua_State;

namespace kith::extensions {

// Pushes `value`. May raise a Lua error (memory, nesting): call it only
// inside LuaSandbox::Call().
void PushValue(lua_State* L, const Value& value);

// The Value of the Lua value at `index`. kInvalidArgument naming what cannot
// be converted and where ("records[2].email: a function cannot be
// converted"), `what` being the name of the whole value. Never raises and
// leaves the stack as it found it.
StatusOr<Value> ToValue(lua_State* L, int index, const std::string& what);

}  // namespace kith::extensions
