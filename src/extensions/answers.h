// Answers: what an extension's run function returned, as each dialect's own
// actions answer (one small adapter per version), and what a core call
// answered, as kith.api hands it to the script. Pure functions; thread-safe.
//
// run returns a list of records (tables), or one record (a flat table),
// or nothing:
//   v2 (3.2):  a list becomes rows keyed by their id (3.2's contact/get
//              shape; its JSON renders them as a list); one record stays flat
//              (3.2's contact/add shape, rendered with is_error:0). Values
//              are text, as 3.2's were; null members are left out.
//   v3:        the standard envelope {is_error:0, version:3, count, [id],
//              values}: values keyed by id (a list with sequential=1, [] when
//              empty), id when there is exactly one; values are text, null
//              as "" (shared/PROTOCOL.md A.8, C.2.4).
//   v4:        {"values": [...]} with typed values; wire/v4 adds entity,
//              action, version and the counts.
#pragma once

#include <string>

#include "base/status.h"
#include "base/value.h"

namespace kith::extensions {

// `what` names the action in errors ("Dgwcontact.get in dgwcontact.lua").
// kUnknown when `returned` is neither a list of records nor a record.
StatusOr<Value> V2Answer(const Value& returned, const std::string& what);
StatusOr<Value> V3Answer(const Value& returned, bool sequential, const std::string& what);
StatusOr<Value> V4Answer(const Value& returned, const std::string& what);

// A core call's answer as the script sees it: {values = {...}, count = N}
// (plus id when the answer had one, and result for an answer that was not
// a list of records, such as a getcount number).
Value ScriptResult(const Value& answer);

// PHP's truthiness of a flag sent as text ("", "0", "false" are false).
bool Truthy(const Value& flag);

}  // namespace kith::extensions
