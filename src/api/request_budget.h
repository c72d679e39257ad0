// RequestBudget: the work one request may still do (base/request_limits.h),
// checked by the Dispatcher before every API call it runs, chained and
// multi-calls included, so that no request runs, nests or grows without
// bound, and none goes on after its client has gone or past its time.
//
// A budget is made active on the thread that handles the request
// (ScopedRequestBudget); the dispatcher finds it there, so that the code
// between the route and a chained call (actions, chains, extensions) need not
// carry it. Calls made with no active budget (the CLI, tests) are not limited.
// Not thread-safe: one budget belongs to one request on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "base/request_limits.h"
#include "base/status.h"
#include "base/value.h"

namespace kith::api {

class RequestBudget {
 public:
  // `client_gone`: true once the client has closed its connection (may be
  // empty). The clock starts now.
  RequestBudget(const RequestLimits& limits, std::function<bool()> client_gone);

  const RequestLimits& limits() const { return limits_; }

  // Before a call: counts it and checks the chain depth (kInvalidArgument),
  // the number of calls (TooLarge), the time (kDeadlineExceeded) and, from
  // the request's second call on, the client (kCancelled). OK means
  // LeaveCall() must follow.
  Status EnterCall();
  void LeaveCall() { --depth_; }

  // After a call: the rows it answered (TooLarge past max_rows in all).
  Status AddRows(const Value& result);
  // The same for `n` rows written as they were read (ApiCall::rows_out).
  Status AddRowCount(int64_t n);
  // The rows the request may still answer.
  int64_t rows_left() const { return limits_.max_rows - rows_; }
  // When the request's time is up (max_request_seconds after it began).
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }

  // The active budget of this thread, or nullptr.
  static RequestBudget* Current();

 private:
  friend class ScopedRequestBudget;

  RequestLimits limits_;
  std::function<bool()> client_gone_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t depth_ = 0;
  int64_t calls_ = 0;
  int64_t rows_ = 0;
};

// Makes `budget` the thread's active budget for this scope.
class ScopedRequestBudget {
 public:
  explicit ScopedRequestBudget(RequestBudget& budget);
  ~ScopedRequestBudget();
  ScopedRequestBudget(const ScopedRequestBudget&) = delete;
  ScopedRequestBudget& operator=(const ScopedRequestBudget&) = delete;

 private:
  RequestBudget* previous_;
};

}  // namespace kith::api
