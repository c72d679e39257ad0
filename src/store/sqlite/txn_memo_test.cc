#include "store/txn_memo.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace kith::store {
namespace {

class TxnMemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kith-memo-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto store = OpenStore({.sqlite_path = dir_ + "/kith.db"});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Transaction> Write() { return store_->Begin(true).value(); }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(TxnMemoTest, RemembersUntilATaggedEntityIsWritten) {
  auto txn = Write();
  EXPECT_EQ(Recall(*txn, "k"), nullptr);
  Remember(*txn, {"OptionValue", "OptionGroup"}, "k", 42);
  ASSERT_NE(Recall(*txn, "k"), nullptr);
  EXPECT_EQ(*Recall(*txn, "k"), 42);
  // Writes to other entities keep it.
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "M"}}).ok());
  ASSERT_NE(Recall(*txn, "k"), nullptr);
  // A write to one of its entities forgets it.
  ASSERT_TRUE(txn->Insert("OptionGroup", {{"name", "memo_test"}, {"title", "Memo"}}).ok());
  EXPECT_EQ(Recall(*txn, "k"), nullptr);
}

TEST_F(TxnMemoTest, UpdatesAndDeletesForgetToo) {
  auto txn = Write();
  auto group = txn->Insert("OptionGroup", {{"name", "memo_test"}, {"title", "Memo"}});
  ASSERT_TRUE(group.ok()) << group.status();
  Remember(*txn, {"OptionGroup"}, "k", "v");
  ASSERT_TRUE(txn->Update("OptionGroup", *group, {{"title", "Memo 2"}}).ok());
  EXPECT_EQ(Recall(*txn, "k"), nullptr);
  Remember(*txn, {"OptionGroup"}, "k", "v");
  ASSERT_TRUE(txn->Delete("OptionGroup", *group).ok());
  EXPECT_EQ(Recall(*txn, "k"), nullptr);
}

TEST_F(TxnMemoTest, InsertedRowsAreKnownToExistUntilADelete) {
  auto txn = Write();
  auto id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "E"}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(KnownToExist(*txn, "Contact", *id));
  EXPECT_FALSE(KnownToExist(*txn, "Contact", *id + 1000));
  NoteExists(*txn, "LocationType", 1);
  EXPECT_TRUE(KnownToExist(*txn, "LocationType", 1));
  // Any delete may cascade: every existence fact is dropped.
  auto other = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "F"}});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(txn->Delete("Contact", *other).ok());
  EXPECT_FALSE(KnownToExist(*txn, "Contact", *id));
  EXPECT_FALSE(KnownToExist(*txn, "LocationType", 1));
}

TEST_F(TxnMemoTest, RollingBackToASavepointForgetsEverything) {
  auto txn = Write();
  ASSERT_TRUE(txn->Savepoint().ok());
  auto id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "S"}});
  ASSERT_TRUE(id.ok());
  Remember(*txn, {"LocationType"}, "k", 1);
  ASSERT_TRUE(txn->RollbackToSavepoint().ok());
  EXPECT_FALSE(KnownToExist(*txn, "Contact", *id));
  EXPECT_EQ(Recall(*txn, "k"), nullptr);
}

TEST_F(TxnMemoTest, EachTransactionHasItsOwn) {
  {
    auto txn = Write();
    Remember(*txn, {"LocationType"}, "k", 1);
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto next = Write();
  EXPECT_EQ(Recall(*next, "k"), nullptr);
}

}  // namespace
}  // namespace kith::store
