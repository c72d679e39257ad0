#include "api/request_budget.h"

#include <string>
#include <utility>

#include "base/error_details.h"

namespace kith::api {
namespace {
thread_local RequestBudget* tls_budget = nullptr;
}  // namespace

RequestBudget::RequestBudget(const RequestLimits& limits, std::function<bool()> client_gone)
    : limits_(limits),
      client_gone_(std::move(client_gone)),
      deadline_(std::chrono::steady_clock::now() + std::chrono::seconds(limits.max_request_seconds)) {}

Status RequestBudget::EnterCall() {
  // The first call is the request's own; chains are the calls inside it.
  if (depth_ > limits_.max_chain_depth) {
    return InvalidArgument("Chained calls may nest at most " +
                               std::to_string(limits_.max_chain_depth) + " levels deep",
                           {{"error_code", "chain_too_deep"}});
  }
  if (calls_ >= limits_.max_sub_calls) {
    return TooLarge("The request would run more than " + std::to_string(limits_.max_sub_calls) +
                    " API calls (chained calls included)");
  }
  if (std::chrono::steady_clock::now() > deadline_) {
    return absl::DeadlineExceededError("The request took longer than " +
                                       std::to_string(limits_.max_request_seconds) +
                                       " seconds and was stopped");
  }
  // The request's own call is not asked (its client was there a moment
  // ago, and the ask is a system call on every request); the calls inside
  // it are, so a long request stops once its client has gone.
  if (calls_ > 0 && client_gone_ && client_gone_()) {
    return absl::CancelledError("The client has gone");
  }
  ++depth_;
  ++calls_;
  return Status();
}

Status RequestBudget::AddRows(const Value& result) {
  const Value* rows = &result;
  if (result.is_object()) {
    auto it = result.find("values");
    if (it == result.end()) return Status();
    rows = &*it;
  }
  return AddRowCount(rows->is_array() || rows->is_object() ? static_cast<int64_t>(rows->size()) : 0);
}

Status RequestBudget::AddRowCount(int64_t n) {
  rows_ += n;
  if (rows_ > limits_.max_rows) {
    return TooLarge("The answer would hold more than " + std::to_string(limits_.max_rows) +
                    " rows (chained rows included)");
  }
  return Status();
}

RequestBudget* RequestBudget::Current() { return tls_budget; }

ScopedRequestBudget::ScopedRequestBudget(RequestBudget& budget) : previous_(tls_budget) {
  tls_budget = &budget;
}

ScopedRequestBudget::~ScopedRequestBudget() { tls_budget = previous_; }

}  // namespace kith::api
