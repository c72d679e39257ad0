#include "store/txn_memo.h"

#include <gtest/gtest.h>

#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

class TxnMemoTest : public FreshStoreTest {
 protected:
  std::unique_ptr<Transaction> Write() { return store_->Begin(true).value(); }
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

TEST_F(TxnMemoTest, AWriteForgetsOnlyWhatCameFromItsEntity) {
  auto txn = Write();
  Remember(*txn, {"OptionValue"}, "label", "Dr.");
  Remember(*txn, {"Contact"}, "row", 1);
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "T"}}).ok());
  EXPECT_EQ(Recall(*txn, "row"), nullptr);
  ASSERT_NE(Recall(*txn, "label"), nullptr);
  EXPECT_EQ(*Recall(*txn, "label"), "Dr.");
  // Remembered again, it is forgotten again by the next write.
  Remember(*txn, {"Contact"}, "row", 2);
  ASSERT_NE(Recall(*txn, "row"), nullptr);
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "U"}}).ok());
  EXPECT_EQ(Recall(*txn, "row"), nullptr);
}

TEST_F(TxnMemoTest, ANewRowHasNoLinkedRowsUntilOneNamesIt) {
  auto txn = Write();
  auto a = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "A"}});
  auto b = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "B"}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(KnownWithoutLinks(*txn, "Email", "contact_id", *a));
  EXPECT_TRUE(KnownWithoutLinks(*txn, "Phone", "contact_id", *a));
  // Not a link, or a row this transaction did not insert: not known.
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "email", *a));
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "contact_id", *b + 1000));
  // An email naming A: A has one now; B still has none.
  auto email = txn->Insert("Email", {{"contact_id", *a}, {"email", "a@example.org"}});
  ASSERT_TRUE(email.ok()) << email.status();
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "contact_id", *a));
  EXPECT_TRUE(KnownWithoutLinks(*txn, "Email", "contact_id", *b));
  EXPECT_TRUE(KnownWithoutLinks(*txn, "Phone", "contact_id", *a));
  // Moved to B by an update: B has one.
  ASSERT_TRUE(txn->Update("Email", *email, {{"contact_id", *b}}).ok());
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "contact_id", *b));
  // A link written in a form not understood: nothing known about that target.
  auto c = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "C"}});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(txn->Insert("Phone", {{"contact_id", std::to_string(*c)}, {"phone", "1"}}).ok());
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Phone", "contact_id", *c));
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "contact_id", *c));
}

TEST_F(TxnMemoTest, DeletesAndRollbacksForgetNewRows) {
  auto txn = Write();
  auto a = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "A"}});
  auto b = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "B"}});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(txn->Delete("Contact", *b).ok());
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "contact_id", *a));
  ASSERT_TRUE(txn->Savepoint().ok());
  auto c = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "C"}});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(KnownWithoutLinks(*txn, "Email", "contact_id", *c));
  ASSERT_TRUE(txn->RollbackToSavepoint().ok());
  EXPECT_FALSE(KnownWithoutLinks(*txn, "Email", "contact_id", *c));
}

TEST_F(TxnMemoTest, RowsReadByIdFollowWrites) {
  // Such selects are built once per catalog and columns: the rows still come fresh.
  auto txn = Write();
  auto id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Old"}});
  ASSERT_TRUE(id.ok());
  Query q;
  q.entity = "Contact";
  q.select = {"id", "last_name"};
  q.where = Condition::Leaf("id", Op::kEq, *id);
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok() && rows->size() == 1) << rows.status();
  EXPECT_EQ((*rows)[0]["last_name"], "Old");
  ASSERT_TRUE(txn->Update("Contact", *id, {{"last_name", "New"}}).ok());
  rows = txn->Select(q);
  ASSERT_TRUE(rows.ok() && rows->size() == 1);
  EXPECT_EQ((*rows)[0]["last_name"], "New");
  EXPECT_EQ((*rows)[0]["id"], *id);
  q.where = Condition::Leaf("id", Op::kEq, *id + 1000);
  rows = txn->Select(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
  q.select = {"id", "no_such_column"};
  EXPECT_FALSE(txn->Select(q).ok());
}

}  // namespace
}  // namespace kith::store
