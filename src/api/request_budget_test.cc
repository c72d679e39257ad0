#include "api/request_budget.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/error_details.h"

namespace kith::api {
namespace {

TEST(RequestBudgetTest, ChainDepthCountsCallsInsideCalls) {
  RequestLimits limits;
  limits.max_chain_depth = 2;
  RequestBudget budget(limits, nullptr);
  ASSERT_TRUE(budget.EnterCall().ok());  // the request's own call
  ASSERT_TRUE(budget.EnterCall().ok());  // chained
  ASSERT_TRUE(budget.EnterCall().ok());  // chained in the chained
  Status deeper = budget.EnterCall();
  EXPECT_EQ(deeper.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(deeper.message(), "Chained calls may nest at most 2 levels deep");
  budget.LeaveCall();
  EXPECT_TRUE(budget.EnterCall().ok());  // a sibling at the same depth
}

TEST(RequestBudgetTest, CallsAndRowsAddUpOverTheRequest) {
  RequestLimits limits;
  limits.max_sub_calls = 3;
  limits.max_rows = 4;
  RequestBudget budget(limits, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(budget.EnterCall().ok());
    budget.LeaveCall();
  }
  Status calls = budget.EnterCall();
  EXPECT_TRUE(IsTooLarge(calls)) << calls;
  EXPECT_TRUE(budget.AddRows(Value{{"values", Value::array({1, 2})}}).ok());
  EXPECT_TRUE(budget.AddRows(Value{{"id", 3}}).ok());  // no rows
  EXPECT_TRUE(budget.AddRows(Value{{"values", {{"7", 1}, {"8", 2}}}}).ok());
  Status rows = budget.AddRows(Value::array({1}));
  EXPECT_TRUE(IsTooLarge(rows)) << rows;
  EXPECT_EQ(rows.message(), "The answer would hold more than 4 rows (chained rows included)");
}

TEST(RequestBudgetTest, StopsPastItsTimeAndWhenTheClientHasGone) {
  RequestLimits limits;
  limits.max_request_seconds = 1;
  bool gone = false;
  RequestBudget budget(limits, [&gone] { return gone; });
  ASSERT_TRUE(budget.EnterCall().ok());
  gone = true;
  EXPECT_EQ(budget.EnterCall().code(), absl::StatusCode::kCancelled);
  gone = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Status late = budget.EnterCall();
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(late.message(), "The request took longer than 1 seconds and was stopped");
}

TEST(RequestBudgetTest, AsksAfterTheClientFromTheSecondCallOn) {
  int asked = 0;
  RequestBudget budget(RequestLimits(), [&asked] {
    ++asked;
    return true;
  });
  // The request's own call: its client is not asked (a system call each).
  ASSERT_TRUE(budget.EnterCall().ok());
  EXPECT_EQ(asked, 0);
  // A call inside it: asked, and gone.
  EXPECT_EQ(budget.EnterCall().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(asked, 1);
}

TEST(RequestBudgetTest, ActiveOnlyInItsScope) {
  EXPECT_EQ(RequestBudget::Current(), nullptr);
  RequestBudget budget(RequestLimits(), nullptr);
  {
    ScopedRequestBudget active(budget);
    EXPECT_EQ(RequestBudget::Current(), &budget);
  }
  EXPECT_EQ(RequestBudget::Current(), nullptr);
}

}  // namespace
}  // namespace kith::api
