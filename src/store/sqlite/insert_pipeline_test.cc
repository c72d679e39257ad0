// Pipelined inserts (Transaction::PipelineInserts) over a real SQLite file:
// the ids handed out, reads that see queued rows, and a queued failure.
#include <gtest/gtest.h>

#include <string>

#include "store/postgres/pg_planner_statistics.h"
#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

class InsertPipelineTest : public FreshStoreTest {
 protected:
  int64_t Count(Transaction& txn, const std::string& entity) {
    Query q;
    q.entity = entity;
    auto n = txn.Count(q);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  }
  Value Row(Transaction& txn, const std::string& entity, int64_t id,
            std::vector<std::string> select) {
    Query q;
    q.entity = entity;
    q.select = std::move(select);
    q.where = Condition::Leaf("id", Op::kEq, id);
    auto rows = txn.Select(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() && rows->size() == 1 ? (*rows)[0] : Value();
  }
  // Pipelines `rows` contacts labelled "line N: " (N from 2), row `clash`
  // repeating row 98's external identifier (a unique key), until an insert
  // reports the clash; then the failure WaitForInserts returns.
  Status InsertWithClash(Transaction& txn, int rows, int clash) {
    EXPECT_TRUE(txn.PipelineInserts().ok());
    for (int i = 0; i < rows; ++i) {
      txn.LabelInserts("line " + std::to_string(i + 2) + ": ");
      std::string external = "X" + std::to_string(i == clash ? 98 : i);
      auto id = txn.Insert("Contact", {{"contact_type", "Individual"}, {"external_identifier", external}});
      if (!id.ok()) {
        // Only once the writer has met the failure; it is the same one.
        EXPECT_EQ(id.status().code(), absl::StatusCode::kAlreadyExists);
        break;
      }
    }
    Status failure = txn.WaitForInserts();
    EXPECT_EQ(failure.code(), absl::StatusCode::kAlreadyExists) << failure;
    return failure;
  }
};

TEST_F(InsertPipelineTest, RowsGetTheIdsTheDatabaseWouldHaveGivenAndAreReadBack) {
  {
    // Ids 1-3 used, 3 deleted: AUTOINCREMENT never hands 3 out again.
    auto txn = store_->Begin(true).value();
    for (const char* name : {"A", "B", "C"}) {
      ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", name}}).ok());
    }
    ASSERT_TRUE(txn->Delete("Contact", 3).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->PipelineInserts().ok());
  for (int i = 0; i < 500; ++i) {
    auto contact = txn->Insert("Contact", {{"contact_type", "Individual"},
                                           {"last_name", "P" + std::to_string(i)}});
    ASSERT_TRUE(contact.ok()) << contact.status();
    EXPECT_EQ(*contact, 4 + i);
    auto email = txn->Insert("Email", {{"contact_id", *contact},
                                       {"email", "p" + std::to_string(i) + "@example.org"},
                                       {"location_type_id", 1}});
    ASSERT_TRUE(email.ok()) << email.status();
    EXPECT_EQ(*email, 1 + i);
  }
  // A read waits for the queued rows.
  EXPECT_EQ(Count(*txn, "Contact"), 502);
  EXPECT_EQ(Count(*txn, "Email"), 500);
  Value last = Row(*txn, "Email", 500, {"contact_id", "email"});
  EXPECT_EQ(last["contact_id"], 503);
  EXPECT_EQ(last["email"], "p499@example.org");
  // Inserting after a read goes on from the ids handed out.
  auto more = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Q"}});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(*more, 504);
  ASSERT_TRUE(txn->Commit().ok());

  auto after = store_->Begin(true).value();
  EXPECT_EQ(Row(*after, "Contact", 504, {"last_name"})["last_name"], "Q");
  auto next = after->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "R"}});
  ASSERT_TRUE(next.ok());
  // PostgreSQL's bulk write takes ids from the sequence ahead, in blocks: the
  // next row comes after the block (a sequence has gaps anyway, as after a
  // rolled-back transaction).
  if (OnPostgres()) {
    EXPECT_GT(*next, 504);
  } else {
    EXPECT_EQ(*next, 505);
  }
}

// Rows are written many to an INSERT, one kind (table and columns) after
// another: a row that links to a kind queued after its own must not go in
// before the row it links to (foreign keys are checked at each statement).
TEST_F(InsertPipelineTest, ARowIsWrittenAfterTheRowItLinksToWhateverKindCameFirst) {
  int64_t earlier;
  {
    auto txn = store_->Begin(true).value();
    earlier = txn->Insert("Contact", {{"contact_type", "Individual"}}).value();
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->PipelineInserts().ok());
  // Emails come first (their contact is stored), then contacts and theirs.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(txn->Insert("Email", {{"contact_id", earlier}, {"email", "e@example.org"}}).ok());
  }
  for (int i = 0; i < 200; ++i) {
    auto contact = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "L"}});
    ASSERT_TRUE(contact.ok()) << contact.status();
    auto email = txn->Insert("Email", {{"contact_id", *contact}, {"email", "e@example.org"}});
    ASSERT_TRUE(email.ok()) << email.status();
  }
  ASSERT_TRUE(txn->Commit().ok());
  auto check = store_->Begin(false).value();
  EXPECT_EQ(Count(*check, "Contact"), 201);
  EXPECT_EQ(Count(*check, "Email"), 203);
}

TEST_F(InsertPipelineTest, AFailedRowIsReportedUnderItsLabelAndNothingIsKept) {
  auto txn = store_->Begin(true).value();
  // Line 150 repeats line 100's external identifier (a unique key).
  Status failure = InsertWithClash(*txn, 300, 148);
  EXPECT_EQ(failure.message().rfind("line 150: ", 0), 0u) << failure;
  // Every later call reports it too, and the commit keeps nothing.
  Query q;
  q.entity = "Contact";
  EXPECT_EQ(txn->Count(q).status(), failure);
  EXPECT_EQ(txn->Insert("Contact", {{"contact_type", "Individual"}}).status(), failure);
  EXPECT_EQ(txn->Commit(), failure);
  auto check = store_->Begin(false).value();
  EXPECT_EQ(Count(*check, "Contact"), 0);
}

// Thousands of rows: the failed one is in a batch sent while later ones
// are made and sent after it (PostgreSQL keeps a few batches in flight).
TEST_F(InsertPipelineTest, AFailedRowAmongBatchesInFlightIsReportedUnderItsLabel) {
  auto txn = store_->Begin(true).value();
  Status failure = InsertWithClash(*txn, 4000, 1248);
  EXPECT_EQ(failure.message().rfind("line 1250: ", 0), 0u) << failure;
  EXPECT_EQ(txn->Commit(), failure);
  auto check = store_->Begin(false).value();
  EXPECT_EQ(Count(*check, "Contact"), 0);
}

TEST_F(InsertPipelineTest, ATransactionDroppedWithRowsQueuedLeavesNothing) {
  {
    auto txn = store_->Begin(true).value();
    ASSERT_TRUE(txn->PipelineInserts().ok());
    for (int i = 0; i < 5000; ++i) {
      ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}}).ok());
    }
  }
  auto check = store_->Begin(true).value();
  EXPECT_EQ(Count(*check, "Contact"), 0);
  auto id = check->Insert("Contact", {{"contact_type", "Individual"}});
  ASSERT_TRUE(id.ok());
  EXPECT_GE(*id, 1);
  ASSERT_TRUE(check->Commit().ok());
}

// PostgreSQL writes queued rows as COPY text, where a backslash, tab,
// newline and carriage return are escapes and \N is null: they must come
// back as they went in, and a null as a null.
TEST_F(InsertPipelineTest, TextWithCopysSpecialCharactersIsStoredAsGiven) {
  const std::string tricky = "a\tb\nc\\d\re \\N \\. f";
  auto txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->PipelineInserts().ok());
  auto id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", tricky},
                                    {"first_name", "\\N"}, {"nick_name", nullptr}});
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(txn->Commit().ok());
  auto read = store_->Begin(false).value();
  Value row = Row(*read, "Contact", *id, {"last_name", "first_name", "nick_name"});
  EXPECT_EQ(row["last_name"], tricky);
  EXPECT_EQ(row["first_name"], "\\N");
  EXPECT_TRUE(row["nick_name"].is_null()) << row.dump();
}

TEST_F(InsertPipelineTest, OnlyForWriteTransactions) {
  auto txn = store_->Begin(false).value();
  EXPECT_EQ(txn->PipelineInserts().code(), absl::StatusCode::kFailedPrecondition);
}

// PostgreSQL: a bulk load leaves the planner statistics of what it filled
// (pg_planner_statistics.h), where autovacuum would come by a while later.
TEST_F(InsertPipelineTest, ABulkLoadGathersPostgresPlannerStatistics) {
  EXPECT_TRUE(postgres::StatisticsDue(-1, 1));        // never gathered
  EXPECT_TRUE(postgres::StatisticsDue(1000, 4000));   // grown fourfold
  EXPECT_FALSE(postgres::StatisticsDue(1000, 3999));
  EXPECT_FALSE(postgres::StatisticsDue(-1, 0));
  if (!OnPostgres()) GTEST_SKIP() << "SQLite's statistics: sqlite_store_test";
  auto rows_known = [&](const char* table) {
    PGconn* conn = PQconnectdb(options_.database_url.c_str());
    PGresult* r = PQexec(conn, ("SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = '" +
                                std::string(table) + "'").c_str());
    int64_t rows = PQntuples(r) == 1 ? std::atoll(PQgetvalue(r, 0, 0)) : -2;
    PQclear(r);
    PQfinish(conn);
    return rows;
  };
  auto txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->PipelineInserts().ok());
  for (int i = 0; i < 300; ++i) {
    auto id = txn->Insert("Contact", {{"contact_type", "Individual"}});
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(txn->Insert("Email", {{"contact_id", *id}, {"email", "e@example.org"}}).ok());
  }
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(rows_known("civicrm_contact"), 300);
  EXPECT_EQ(rows_known("civicrm_email"), 300);
}

}  // namespace
}  // namespace kith::store
