// The envelope of an APIv4 REST answer (shared/PROTOCOL.md C.3.3): a
// successful call as {"values", "entity", "action", "debug", "version",
// "count", "countFetched"[, "countMatched"]}, reshaped by `index`; a failed
// one as {"error_id", "error_code", "error_message", "status"} with an honest
// HTTP status (A.5). kith keeps the error message for every caller (A.10);
// only its own faults (500) are answered without their internals.
// Pure functions apart from the random error id; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/value.h"

namespace kith::wire::v4 {

// `result` is what a v4 action returned: {"values": [...]} plus optionally
// "count" (the matched total when row_count was selected) and
// "countMatched"; other keys (e.g. "deleted") are kept after "debug".
// `index` as in V4Call. Never fails: an index the values cannot honour
// gives null/empty values, as CiviCRM's Result does.
Value SuccessEnvelope(const std::string& entity, const std::string& action, Value result,
                      const Value& index, bool drop_index_field = false);

// A get's answer written a row at a time (a streamed answer): the bytes of
// SuccessEnvelope(entity, action, {"values": rows}, null) rendered by
// wire::ToJson are kStreamedEnvelopeHead, each row's ToJson joined by
// commas, then StreamedEnvelopeTail(entity, action, rows.size()).
inline constexpr char kStreamedEnvelopeHead[] = "{\"values\":[";
std::string StreamedEnvelopeTail(std::string_view entity, std::string_view action, int64_t fetched);
// The same tail appended to `out` (the answer's text, with no text of its own).
void AppendStreamedEnvelopeTail(std::string& out, std::string_view entity, std::string_view action,
                                int64_t fetched);

// `values` reshaped by `index` (see V4Call::index).
Value ApplyIndex(Value values, const Value& index);

// civicrm_api4's index by a field the call's select leaves out: the field is
// added to `params`' select for the call, and IndexFieldAdded says to leave
// it out of the rows again (SuccessEnvelope's drop_index_field).
bool IndexFieldAdded(Value& params, const Value& index);

struct V4Error {
  int http_status = 500;
  Value body;
  std::string log_line;  // non-empty for kith's own faults: what to log
};

// The error answer for `status`: 400 bad parameter/field/operator, 401, 403,
// 404 unknown entity/action, 409 clash, 413, 429, 503; 500 for everything
// else, with a generic message carrying the error id that `log_line` names.
// error_code is the status's detail "error_code" when it has one, else 0.
V4Error ErrorEnvelope(const Status& status);

// The answers of the page itself, before any call: {"error_code": N,
// "error_message": ...} (no "status"), as CiviCRM's AJAX page writes them.
Value PageError(int code, const std::string& message);

// A random CiviCRM-style error id, "Ab12-Cd34-Ef56".
std::string NewErrorId();

}  // namespace kith::wire::v4
