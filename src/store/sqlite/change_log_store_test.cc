// The change log as the store writes it (store.h "The change log"), on
// SQLite and, as store_change_log_test_pg, on PostgreSQL.
#include <gtest/gtest.h>

#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

class ChangeLogTest : public FreshStoreTest {
 protected:
  std::unique_ptr<Transaction> Write(int64_t author = 0) {
    auto txn = store_->Begin(true).value();
    txn->SetChangeAuthor(author);
    return txn;
  }
  // Every change row, oldest first, `changes` parsed.
  std::vector<Value> Changes() {
    auto txn = store_->Begin(false).value();
    Query q;
    q.entity = "ChangeLog";
    q.select = {"id", "entity", "entity_id", "action", "contact_id", "created_date", "changes"};
    q.order_by = {{"id", false}};
    std::vector<Value> rows = txn->Select(q).value();
    for (Value& r : rows) r["changes"] = Value::parse(r["changes"].get<std::string>());
    return rows;
  }
};

TEST_F(ChangeLogTest, CreateUpdateDeleteEachLogOneRowWithOldAndNewValues) {
  int64_t id;
  {
    auto txn = Write(7);
    id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"first_name", "Ann"},
                                  {"last_name", "Lee"}}).value();
    ASSERT_TRUE(txn->Commit().ok());
  }
  {
    auto txn = Write(8);
    // last_name written as it was: only the first name changed.
    ASSERT_TRUE(txn->Update("Contact", id, {{"first_name", "Anne"}, {"last_name", "Lee"}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  {
    auto txn = Write();
    ASSERT_TRUE(txn->Delete("Contact", id).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::vector<Value> log = Changes();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0]["entity"], "Contact");
  EXPECT_EQ(log[0]["entity_id"], id);
  EXPECT_EQ(log[0]["action"], "create");
  EXPECT_EQ(log[0]["contact_id"], 7);
  EXPECT_EQ(log[0]["changes"]["first_name"], Value::array({nullptr, "Ann"}));
  EXPECT_FALSE(log[0]["created_date"].is_null());
  EXPECT_EQ(log[1]["action"], "update");
  EXPECT_EQ(log[1]["contact_id"], 8);
  EXPECT_EQ(log[1]["changes"], (Value{{"first_name", Value::array({"Ann", "Anne"})}}));
  EXPECT_EQ(log[2]["action"], "delete");
  EXPECT_TRUE(log[2]["contact_id"].is_null());
  EXPECT_EQ(log[2]["changes"]["first_name"], Value::array({"Anne", nullptr}));
  EXPECT_EQ(log[2]["changes"]["last_name"], Value::array({"Lee", nullptr}));
  EXPECT_LT(log[0]["id"].get<int64_t>(), log[1]["id"].get<int64_t>());
  EXPECT_LT(log[1]["id"].get<int64_t>(), log[2]["id"].get<int64_t>());
}

TEST_F(ChangeLogTest, NothingForARolledBackTransactionOrSavepoint) {
  {
    auto txn = Write();
    ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Gone"}}).ok());
  }  // rolled back
  {
    auto txn = Write();
    ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Kept"}}).ok());
    ASSERT_TRUE(txn->Savepoint().ok());
    ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Undone"}}).ok());
    ASSERT_TRUE(txn->RollbackToSavepoint().ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::vector<Value> log = Changes();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["changes"]["last_name"], Value::array({nullptr, "Kept"}));
}

TEST_F(ChangeLogTest, ADeleteLogsWhatGoesWithItFirst) {
  int64_t contact, email, employee;
  {
    auto txn = Write();
    contact = txn->Insert("Contact", {{"contact_type", "Organization"}, {"organization_name", "Acme"}}).value();
    email = txn->Insert("Email", {{"contact_id", contact}, {"email", "a@acme.org"}}).value();
    employee = txn->Insert("Contact", {{"contact_type", "Individual"}, {"employer_id", contact}}).value();
    ASSERT_TRUE(txn->Commit().ok());
  }
  size_t before = Changes().size();
  {
    auto txn = Write();
    ASSERT_TRUE(txn->Delete("Contact", contact).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::vector<Value> log = Changes();
  std::vector<Value> tail(log.begin() + static_cast<long>(before), log.end());
  ASSERT_EQ(tail.size(), 3u);
  // The employee's link is cleared, the email removed, then the contact.
  bool cleared = false, removed = false;
  for (size_t i = 0; i + 1 < tail.size(); ++i) {
    if (tail[i]["entity"] == "Contact" && tail[i]["entity_id"] == employee) {
      cleared = tail[i]["action"] == "update" &&
                tail[i]["changes"] == Value{{"employer_id", Value::array({contact, nullptr})}};
    }
    if (tail[i]["entity"] == "Email" && tail[i]["entity_id"] == email) {
      removed = tail[i]["action"] == "delete" &&
                tail[i]["changes"]["email"] == Value::array({"a@acme.org", nullptr});
    }
  }
  EXPECT_TRUE(cleared);
  EXPECT_TRUE(removed);
  EXPECT_EQ(tail[2]["entity_id"], contact);
  EXPECT_EQ(tail[2]["action"], "delete");
}

TEST_F(ChangeLogTest, SecretsAreNeverLogged) {
  {
    auto txn = Write();
    int64_t contact = txn->Insert("Contact", {{"contact_type", "Individual"}}).value();
    int64_t user = txn->Insert("User", {{"name", "u"}, {"password_hash", "h"}, {"role", "admin"},
                                        {"contact_id", contact}, {"api_key_hash", "k"}}).value();
    ASSERT_TRUE(txn->Insert("Session", {{"session_hash", "s"}, {"user_id", user}, {"last_seen", 1}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::vector<Value> log = Changes();
  ASSERT_EQ(log.size(), 1u);  // the contact only
  EXPECT_EQ(log[0]["entity"], "Contact");
}

// A bulk write (pipelined inserts: SQLite queues the change rows many to an
// INSERT, PostgreSQL batches them at commit) logs every row in order, with
// the values' text exactly as written, and drops what a savepoint undid.
TEST_F(ChangeLogTest, ABulkWriteLogsEveryRowInOrder) {
  constexpr int kContacts = 150;  // past several of SQLite's multi-row INSERTs
  const std::string kEscaped[] = {"eight ok then \"quoted\"", "abcdefgh\\ijklmnop", "abcdefghijklmnop\x01",
                                  "sixteen bytes ok\ttab", "Ünïcode beyond eight", "abcdefgh\x7f"};
  std::vector<int64_t> contacts, emails;
  {
    auto txn = Write(3);
    ASSERT_TRUE(txn->PipelineInserts().ok());
    for (int i = 0; i < kContacts; ++i) {
      std::string name = i == 5 ? "Quote \"\\ Ünïcode\n" : "Bulk" + std::to_string(i);
      // What must be escaped, past the first eight bytes and in the tail.
      if (i >= 6 && i < 6 + static_cast<int>(std::size(kEscaped))) name = kEscaped[i - 6];
      contacts.push_back(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", name},
                                                 {"do_not_email", i % 2 == 0}}).value());
      if (i == 70) {
        // Undone in the middle of queued change rows.
        ASSERT_TRUE(txn->Savepoint().ok());
        ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Undone"}}).ok());
        ASSERT_TRUE(txn->RollbackToSavepoint().ok());
      }
      emails.push_back(txn->Insert("Email", {{"contact_id", contacts.back()},
                                             {"email", "b" + std::to_string(i) + "@example.org"}}).value());
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::vector<Value> log = Changes();
  ASSERT_EQ(log.size(), 2u * kContacts);
  for (int i = 0; i < kContacts; ++i) {
    const Value& c = log[2 * i];
    const Value& e = log[2 * i + 1];
    EXPECT_EQ(c["entity"], "Contact");
    EXPECT_EQ(c["entity_id"], contacts[i]);
    EXPECT_EQ(c["action"], "create");
    EXPECT_EQ(c["contact_id"], 3);
    EXPECT_EQ(c["changes"]["do_not_email"], Value::array({nullptr, i % 2 == 0 ? 1 : 0}));
    EXPECT_EQ(e["entity"], "Email");
    EXPECT_EQ(e["entity_id"], emails[i]);
    EXPECT_EQ(e["changes"]["contact_id"], Value::array({nullptr, contacts[i]}));
    if (i > 0) {
      EXPECT_LT(log[2 * i - 1]["id"].get<int64_t>(), c["id"].get<int64_t>());
    }
    EXPECT_LT(c["id"].get<int64_t>(), e["id"].get<int64_t>());
  }
  EXPECT_EQ(log[10]["changes"]["last_name"], Value::array({nullptr, "Quote \"\\ Ünïcode\n"}));
  for (size_t k = 0; k < std::size(kEscaped); ++k) {
    EXPECT_EQ(log[2 * (6 + k)]["changes"]["last_name"], Value::array({nullptr, kEscaped[k]})) << k;
  }
}

TEST_F(ChangeLogTest, TurnedOffLogsNothing) {
  options_.change_log = false;
  ReopenStore();
  auto txn = Write();
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}}).ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_TRUE(Changes().empty());
}

}  // namespace
}  // namespace kith::store
