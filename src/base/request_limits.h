// RequestLimits: how much one request may ask of kith (kith.toml, README
// "Configure"). Parsers refuse input over the input limits before building
// anything; the API's RequestBudget (api/request_budget.h) stops work over
// the work limits between sub-calls. A limit's error is TooLarge() (HTTP 413)
// or InvalidArgument (400, for depths and the where-condition count).
#pragma once

#include <cstdint>

#include "base/status.h"

namespace kith {

struct RequestLimits {
  int64_t max_nesting_depth = 64;        // JSON and bracket names (a[b][c]): levels
  int64_t max_parameters = 10000;        // form fields per request; members of one JSON object
  int64_t max_chain_depth = 8;           // chained calls inside chained calls
  int64_t max_sub_calls = 5000;          // API calls one request runs, chained ones included
  int64_t max_multi_calls = 100;         // calls in one multi-call (APIv3 api3, APIv4 calls=)
  int64_t max_rows = 100000;             // rows in one answer, chained rows included
  int64_t max_answer_bytes = 32 << 20;   // bytes of one rendered answer
  int64_t max_request_seconds = 30;      // a request still working after this is stopped
  int64_t max_where_conditions = 500;    // conditions in one APIv4 where (nested ones too)
};

// kResourceExhausted marked as "too large" (error_code "too_large"): the
// protocols answer it with HTTP 413 (other kResourceExhausted errors keep
// their own status).
Status TooLarge(std::string_view message);
bool IsTooLarge(const Status& status);

}  // namespace kith
