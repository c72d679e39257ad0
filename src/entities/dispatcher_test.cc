// Dispatcher::Run with the read transaction the caller was authenticated
// in: a reading action runs in it (its snapshot), a writing one in a write
// transaction of its own.
#include <gtest/gtest.h>

#include "api/action_registry.h"
#include "api/api.h"
#include "entities/register_builtins.h"
#include "entities/testing/builtins_store_test.h"

namespace kith::entities {
namespace {

class DispatcherTest : public BuiltinsStoreTest {
 protected:
  StatusOr<Value> Create(const std::string& last_name,
                         std::unique_ptr<store::Transaction> read_txn = nullptr) {
    api::ApiCall call{"Contact", "create",
                      Value{{"values", {{"contact_type", "Individual"}, {"last_name", last_name}}}}, 4};
    return dispatcher_->Run(call, caller_, std::move(read_txn));
  }

  size_t CountContacts(std::unique_ptr<store::Transaction> read_txn = nullptr) {
    api::ApiCall call{"Contact", "get", Value{{"select", {"id"}}}, 4};
    auto result = dispatcher_->Run(call, caller_, std::move(read_txn));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? (*result)["values"].size() : 0;
  }

  // A read transaction whose snapshot has started.
  std::unique_ptr<store::Transaction> ReadSnapshot() {
    auto txn = store_->Begin(false);
    EXPECT_TRUE(txn.ok()) << txn.status();
    store::Query q;
    q.entity = "Contact";
    q.select = {"id"};
    EXPECT_TRUE((*txn)->Select(q).ok());
    return std::move(*txn);
  }
};

TEST_F(DispatcherTest, ReadRunsInTheGivenTransaction) {
  ASSERT_TRUE(Create("Before").ok());
  std::unique_ptr<store::Transaction> snapshot = ReadSnapshot();
  ASSERT_TRUE(Create("After").ok());
  EXPECT_EQ(CountContacts(std::move(snapshot)), 1u);  // the snapshot's view
  EXPECT_EQ(CountContacts(), 2u);                     // a fresh transaction's
}

TEST_F(DispatcherTest, WriteGivenAReadTransactionStartsItsOwnAndCommits) {
  ASSERT_TRUE(Create("First").ok());
  // A snapshot older than the latest write: writing in it would fail.
  std::unique_ptr<store::Transaction> stale = ReadSnapshot();
  ASSERT_TRUE(Create("Meanwhile").ok());
  auto created = Create("Second", std::move(stale));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(CountContacts(), 3u);
  EXPECT_EQ(CountContacts(ReadSnapshot()), 3u);
}

// A spec the route looked up already (ApiCall::spec) is the one run: the
// dispatcher does not look it up again, in Run nor in RunIn.
TEST_F(DispatcherTest, RunsTheSpecTheCallerFoundWithoutLookingItUpAgain) {
  ASSERT_TRUE(Create("Only").ok());
  const api::ActionSpec* getcount = registry_.Find(3, "Contact", "getcount");
  ASSERT_NE(getcount, nullptr);
  // Named "get", carrying getcount's spec: getcount's answer (a number)
  // shows which was run.
  api::ApiCall call{"Contact", "get", Value::object(), 3};
  call.spec = getcount;
  auto run = dispatcher_->Run(call, caller_);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(*run, Value(1));
  auto txn = store_->Begin(false);
  ASSERT_TRUE(txn.ok()) << txn.status();
  auto in = dispatcher_->RunIn(**txn, call, caller_);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(*in, Value(1));
  // Without it, the call's own names are looked up.
  call.spec = nullptr;
  auto looked_up = dispatcher_->Run(call, caller_);
  ASSERT_TRUE(looked_up.ok()) << looked_up.status();
  EXPECT_TRUE(looked_up->is_object());
}

}  // namespace
}  // namespace kith::entities
