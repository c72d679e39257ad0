#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/strings.h"
#include "store/bulk_writes.h"
#include "store/internal/sql_builder.h"
#include "store/internal/sql_transaction.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/sqlite/planner_statistics.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/undo_migration_for_test.h"
#include "store/testing/fresh_store_test.h"

namespace kith::store {
namespace {

class SqliteStoreTest : public FreshStoreTest {
 protected:
  int64_t InsertContact(Transaction& txn, const std::string& last) {
    auto id = txn.Insert("Contact", {{"contact_type", "Individual"}, {"last_name", last}});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }
  // PostgreSQL: every foreign key of the schema, "table definition" a line.
  std::string ForeignKeys(postgres::PgConnection& conn) {
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"def"};
    EXPECT_TRUE(conn.Run("SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM "
                         "pg_constraint WHERE contype = 'f' AND connamespace = "
                         "CAST(current_schema() AS regnamespace) ORDER BY 1", {}, &keys, nullptr, &rows).ok());
    std::string out;
    for (const Value& r : rows) out += r["def"].get<std::string>() + "\n";
    return out;
  }
  // PostgreSQL: closes the store, makes its database one of an older
  // version with `undo` (which ends by taking the later migrations out of
  // kith_schema_version), checks that the foreign keys are no longer
  // `made_new`, reopens the store (the migrations run again) and expects
  // `made_new` back.
  void ExpectReopeningRemakesForeignKeys(std::initializer_list<const char*> undo,
                                         const std::string& made_new) {
    store_.reset();
    auto conn = postgres::PgConnection::Open(options_.database_url).value();
    for (const char* ddl : undo) ASSERT_TRUE(conn->Exec(ddl).ok()) << ddl;
    ASSERT_NE(ForeignKeys(*conn), made_new);
    ReopenStore();
    EXPECT_EQ(ForeignKeys(*conn), made_new);
  }
  // Ends `adder` and `deleter` (whose delete answered `deleted`), the one
  // `adder_first` names first: exactly one of the two commits, the other
  // fails as retryable.
  void ExpectOneOfTwoCommits(Transaction& adder, Transaction& deleter, const Status& deleted,
                             bool adder_first) {
    auto end = [&](Transaction& txn) { return &txn == &deleter && !deleted.ok() ? deleted : txn.Commit(); };
    Status first = end(adder_first ? adder : deleter);
    Status second = end(adder_first ? deleter : adder);
    EXPECT_NE(first.ok(), second.ok()) << first << " / " << second;
    EXPECT_TRUE(first.ok() || IsRetryable(first)) << first;
    EXPECT_TRUE(second.ok() || IsRetryable(second)) << second;
  }
};

// An acknowledged commit is on disk (synchronous=FULL) unless the store is
// opened with durable_commits off (kith.toml durability = "normal").
TEST_F(SqliteStoreTest, CommitsAreSyncedToDiskUnlessAskedOtherwise) {
  auto full = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  EXPECT_EQ(full->RunScalar("PRAGMA synchronous", {}).value(), 2);  // FULL
  auto normal = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000, false).value();
  EXPECT_EQ(normal->RunScalar("PRAGMA synchronous", {}).value(), 1);  // NORMAL
  EXPECT_TRUE(StoreOptions{}.durable_commits);
}

// Command's kept statements: each text runs its own statement (BEGIN
// IMMEDIATE is not the BEGIN kept before it), run again and again, and a
// failed step is reported, leaving the statement ready for its next use.
TEST_F(SqliteStoreTest, CommandsRunTheirOwnKeptStatementsAndReportFailures) {
  KITH_SQLITE_ONLY();
  auto a = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  auto b = sqlite::SqliteConnection::Open(options_.sqlite_path, 0).value();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(a->Command("BEGIN").ok());
    ASSERT_TRUE(a->Command("COMMIT").ok());
  }
  EXPECT_FALSE(a->Command("COMMIT").ok());  // no transaction is open
  ASSERT_TRUE(a->Command("BEGIN IMMEDIATE").ok());  // takes the write lock at once
  EXPECT_EQ(b->Command("BEGIN IMMEDIATE").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(a->Command("BEGIN").ok());  // already in a transaction
  ASSERT_TRUE(a->Command("ROLLBACK").ok());
  ASSERT_TRUE(b->Command("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(b->Command("ROLLBACK").ok());
  EXPECT_FALSE(a->Command("NOT SQL").ok());
}

// The versions every transaction reads first are read again only when the
// database changed since the connection last read them: after another
// connection's commit, after its own, not while nothing was committed.
TEST_F(SqliteStoreTest, AConnectionReadsTheVersionsAgainOnlyAfterACommit) {
  KITH_SQLITE_ONLY();
  auto a = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  auto b = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  const std::string& sql = internal::ReadVersionsSql();
  const std::string bump =
      std::string("UPDATE ") + internal::kVersionsTable + " SET user_changes = user_changes + 1";
  std::optional<int64_t> row[1 + internal::kChangeCounterCount];
  auto read = [&](sqlite::SqliteConnection& c) {
    EXPECT_TRUE(c.Command("BEGIN").ok());
    EXPECT_TRUE(c.RunIntegersUnlessUnchanged(sql, row).ok());
    EXPECT_TRUE(c.Command("COMMIT").ok());
    return row[1].value_or(-1);
  };
  const int64_t start = read(*a);
  EXPECT_EQ(a->unchanged_reads_run(), 1);
  EXPECT_EQ(read(*a), start);
  EXPECT_EQ(read(*a), start);
  EXPECT_EQ(a->unchanged_reads_run(), 1);  // nothing committed meanwhile

  ASSERT_TRUE(b->Exec(bump).ok());  // another connection's commit
  EXPECT_EQ(read(*a), start + 1);
  EXPECT_EQ(a->unchanged_reads_run(), 2);

  ASSERT_TRUE(a->Command("BEGIN IMMEDIATE").ok());  // its own commit
  ASSERT_TRUE(a->RunIntegersUnlessUnchanged(sql, row).ok());
  ASSERT_TRUE(a->Exec(bump).ok());
  ASSERT_TRUE(a->Command("COMMIT").ok());
  EXPECT_EQ(read(*a), start + 2);

  ASSERT_TRUE(a->Command("BEGIN IMMEDIATE").ok());  // a write rolled back
  ASSERT_TRUE(a->Exec(bump).ok());
  ASSERT_TRUE(a->Command("ROLLBACK").ok());
  EXPECT_EQ(read(*a), start + 2);

  // Another process's commit (a store of its own on the same file).
  auto other = OpenStore(options_).value();
  auto write = other->Begin(true).value();
  ASSERT_TRUE(write->Insert("User", {{"name", "v1"}, {"role", "viewer"}, {"api_key_hash", "hv1"},
                                     {"is_active", 1}}).ok());
  ASSERT_TRUE(write->Commit().ok());
  EXPECT_EQ(read(*a), start + 3);
  EXPECT_EQ(read(*b), start + 3);
}

// Each hands a row's columns as cells of their own kind, read straight
// from the statement: integers, reals, texts (an integer-typed column's
// digits as an integer) and NULLs, again on the statement's next run.
TEST_F(SqliteStoreTest, EachReadsEveryKindOfColumnAsItsCell) {
  KITH_SQLITE_ONLY();
  auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  struct Kept final : CellRows {
    std::vector<std::vector<Value>> rows;
    std::vector<std::vector<Cell::Kind>> kinds;
    Status Row(std::span<const Cell> cells) override {
      rows.emplace_back();
      kinds.emplace_back();
      for (const Cell& c : cells) {
        rows.back().push_back(c.ToValue());
        kinds.back().push_back(c.kind);
      }
      return Status();
    }
  } kept;
  const std::vector<schema::FieldType> types = {schema::FieldType::kInt, schema::FieldType::kString,
                                                schema::FieldType::kInt, schema::FieldType::kString,
                                                schema::FieldType::kInt, schema::FieldType::kInt};
  const std::string sql = "SELECT ?, ?, '42', 2.5, NULL, 'x7'";
  ASSERT_TRUE(conn->Each(sql, {Value(-7), Value("caf\xc3\xa9")}, &types, 6, kept).ok());
  ASSERT_TRUE(conn->Each(sql, {Value(8), Value("")}, &types, 6, kept).ok());
  using K = Cell::Kind;
  ASSERT_EQ(kept.rows.size(), 2u);
  EXPECT_EQ(kept.rows[0], (std::vector<Value>{-7, "caf\xc3\xa9", 42, 2.5, nullptr, "x7"}));
  EXPECT_EQ(kept.kinds[0], (std::vector<K>{K::kInt, K::kText, K::kInt, K::kDouble, K::kNull, K::kText}));
  EXPECT_EQ(kept.rows[1], (std::vector<Value>{8, "", 42, 2.5, nullptr, "x7"}));
  EXPECT_EQ(kept.kinds[1][1], K::kText);
}

// A cached statement run again with fewer values than it has parameters
// reads NULL for the others, never a value bound by its last run (its
// bindings are not cleared after each run).
TEST_F(SqliteStoreTest, AStatementRunWithFewerValuesReadsNullForTheRest) {
  KITH_SQLITE_ONLY();
  auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  const std::string sql = "SELECT COALESCE(?, -1) + COALESCE(?, -1) * 100";
  EXPECT_EQ(conn->RunScalar(sql, {Value(2), Value(3)}).value(), 302);
  EXPECT_EQ(conn->RunScalar(sql, {Value(4)}).value(), -96);
  EXPECT_EQ(conn->RunScalar(sql, {Value(5), Value(6)}).value(), 605);
  std::vector<Value> rows;
  const std::vector<std::string> keys = {"t"};
  ASSERT_TRUE(conn->Run("SELECT ? || '/' || COALESCE(?, 'none')", {Value("a"), Value("b")}, &keys,
                        nullptr, &rows).ok());
  ASSERT_TRUE(conn->Run("SELECT ? || '/' || COALESCE(?, 'none')", {Value("c")}, &keys, nullptr, &rows).ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["t"], "a/b");
  EXPECT_EQ(rows[1]["t"], "c/none");
}

// A statement's journal (the pages it changed, kept to undo it alone) stays
// in memory up to megabytes: an insert into an index that changes about a
// megabyte of its pages, in a transaction, opens no temporary file (SQLite
// spilled one over 64 KiB by default: a write() per page).
TEST_F(SqliteStoreTest, AStatementJournalOfAMegabyteStaysInMemory) {
  KITH_SQLITE_ONLY();
  if (!std::filesystem::exists("/proc/self/fd")) GTEST_SKIP() << "no /proc/self/fd";
  auto temp_files = [] {
    int n = 0;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
      if (!ec && target.find("etilqs_") != std::string::npos) ++n;  // SQLite's temporary files
    }
    return n;
  };
  auto conn = sqlite::SqliteConnection::Open(dir_ + "/journal.db", 1000).value();
  const std::string rows =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
      "INSERT INTO j (v) SELECT hex(randomblob(16)) FROM n";
  ASSERT_TRUE(conn->Exec("CREATE TABLE j (id INTEGER PRIMARY KEY, v TEXT UNIQUE)").ok());
  ASSERT_TRUE(conn->Run(rows, {Value(20000)}, nullptr, nullptr, nullptr).ok());
  ASSERT_TRUE(conn->Exec("BEGIN").ok());
  // 2,000 keys spread over the unique index's ~250 leaf pages: most change.
  ASSERT_TRUE(conn->Run(rows, {Value(2000)}, nullptr, nullptr, nullptr).ok());
  EXPECT_EQ(temp_files(), 0);
  ASSERT_TRUE(conn->Exec("COMMIT").ok());
  EXPECT_EQ(conn->RunScalar("SELECT COUNT(*) FROM j", {}).value(), 22000);
}

// Rows of one entity with as many columns but other names, in turn: each
// is written with its own insert plan (a plan is found again by its
// columns' names, not their count), pipelined or not.
TEST_F(SqliteStoreTest, RowsOfOneEntityWithOtherColumnsEachKeepTheirOwn) {
  for (bool pipelined : {false, true}) {
    auto txn = store_->Begin(true).value();
    if (pipelined) {
      ASSERT_TRUE(txn->PipelineInserts().ok());
    }
    std::vector<int64_t> ids;
    for (int i = 0; i < 3; ++i) {
      ids.push_back(txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "L"}}).value());
      ids.push_back(txn->Insert("Contact", {{"contact_type", "Individual"}, {"first_name", "F"}}).value());
      ids.push_back(txn->Insert("Contact", {{"first_name", "F"}, {"contact_type", "Individual"}}).value());
    }
    Query q;
    q.entity = "Contact";
    q.select = {"id", "first_name", "last_name"};
    q.where = Condition::Leaf("id", Op::kIn, Value(ids));
    q.order_by = {{"id", false}};
    auto rows = txn->Select(q).value();
    ASSERT_EQ(rows.size(), ids.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const bool last = i % 3 == 0;
      EXPECT_EQ(rows[i]["last_name"], last ? Value("L") : Value()) << i << (pipelined ? " pipelined" : "");
      EXPECT_EQ(rows[i]["first_name"], last ? Value() : Value("F")) << i << (pipelined ? " pipelined" : "");
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
}

// RunWithRetries tells the work it runs whether this is an attempt after a
// conflict (which takes its turn), and forgets it on the way out.
TEST_F(SqliteStoreTest, AnAttemptAfterAConflictKnowsItIsOne) {
  std::vector<bool> seen;
  Status s = RunWithRetries([&]() -> Status {
    seen.push_back(RetryingAfterConflict());
    return seen.size() < 3 ? RetryableConflict("test") : Status();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen, (std::vector<bool>{false, true, true}));
  EXPECT_FALSE(RetryingAfterConflict());
}

// Writers contending for one row all commit, and every increment counts.
// On PostgreSQL serializable writers that meet are refused and run again:
// without the turn an attempt after a conflict takes, a dozen writers on one
// row used up some writer's attempts (12) within a few rounds.
TEST_F(SqliteStoreTest, WritersContendingForOneRowAllCommit) {
  int64_t id = 0;
  {
    auto txn = store_->Begin(true).value();
    id = InsertContact(*txn, "Counter");
    ASSERT_TRUE(txn->Commit().ok());
  }
  Query q;
  q.entity = "Contact";
  q.select = {"nick_name"};
  q.where = Condition::Leaf("id", Op::kEq, Value(id));
  auto count_of = [](const std::vector<Value>& rows) {
    return rows.size() == 1 && rows[0]["nick_name"].is_string()
               ? std::stoi(rows[0]["nick_name"].get<std::string>())
               : 0;
  };
  constexpr int kWriters = 12;
  constexpr int kEach = 25;
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        Status s = RunWriteTransaction(*store_, [&](Transaction& txn) -> Status {
          KITH_ASSIGN_OR_RETURN(std::vector<Value> rows, txn.Select(q));
          return txn.Update("Contact", id, {{"nick_name", std::to_string(count_of(rows) + 1)}});
        });
        if (!s.ok()) {
          ++failed;
          ADD_FAILURE() << s;
        }
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(failed.load(), 0);
  auto txn = store_->Begin(false).value();
  EXPECT_EQ(count_of(txn->Select(q).value()), kWriters * kEach);
  // Every turn was given back: no session of the pool still holds it.
  if (!options_.database_url.empty()) {
    auto conn = postgres::PgConnection::Open(options_.database_url).value();
    EXPECT_EQ(conn->RunScalar("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                              "granted AND database = (SELECT oid FROM pg_database WHERE "
                              "datname = current_database())", {}).value(), 0);
  }
}

// Backup: a copy of what was committed before it, while a writer goes on;
// the copy passes its integrity check and opens as a store.
TEST_F(SqliteStoreTest, BackupCopiesWhatWasCommittedWhileWritesGoOn) {
  if (!options_.database_url.empty()) {
    EXPECT_EQ(store_->Backup(dir_ + "/copy.db").code(), absl::StatusCode::kUnimplemented);
    return;
  }
  std::vector<int64_t> before;
  {
    auto txn = store_->Begin(true).value();
    for (int i = 0; i < 50; ++i) before.push_back(InsertContact(*txn, "Before" + std::to_string(i)));
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) {
      auto txn = store_->Begin(true).value();
      InsertContact(*txn, "During");
      ASSERT_TRUE(txn->Commit().ok());
    }
  });
  const std::string copy = dir_ + "/copy.db";
  Status backed_up = store_->Backup(copy);
  stop = true;
  writer.join();
  ASSERT_TRUE(backed_up.ok()) << backed_up;
  EXPECT_TRUE(CheckDatabaseFile(copy).ok());
  EXPECT_EQ(store_->Backup(copy).code(), absl::StatusCode::kAlreadyExists);

  StoreOptions copy_options;
  copy_options.sqlite_path = copy;
  auto restored = OpenStore(copy_options);
  ASSERT_TRUE(restored.ok()) << restored.status();
  auto txn = (*restored)->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("last_name", Op::kLike, "Before%");
  EXPECT_EQ(txn->Select(q).value().size(), before.size());

  std::ofstream(dir_ + "/garbage.db") << std::string(8192, 'x');
  EXPECT_EQ(CheckDatabaseFile(dir_ + "/garbage.db").code(), absl::StatusCode::kDataLoss);
}

TEST_F(SqliteStoreTest, SeedsReferenceDataWithCiviCrmIds) {
  auto txn = store_->Begin(false).value();
  Query q;
  q.entity = "Country";
  q.select = {"id", "name"};
  q.where = Condition::Leaf("iso_code", Op::kEq, "US");
  auto rows = txn->Select(q).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["id"], 1228);
  EXPECT_EQ(rows[0]["name"], "United States");
  q.entity = "StateProvince";
  q.where = Condition::Leaf("id", Op::kEq, 1031);
  EXPECT_EQ(txn->Select(q).value()[0]["name"], "New York");
}

// Selects of one shape reuse one built statement (QueryShape): each must
// still answer with its own values, limit and offset.
// Readers on many threads at once each take a connection (the one given
// back last, or one of the pool's) and give it back: every read answers,
// and the store closes with every connection it opened.
TEST_F(SqliteStoreTest, ReadersOnManyThreadsShareTheConnections) {
  auto txn = store_->Begin(true).value();
  const int64_t ann = InsertContact(*txn, "Ann");
  ASSERT_TRUE(txn->Commit().ok());
  txn.reset();
  std::atomic<int> answered{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto read = store_->Begin(false);
        if (!read.ok()) continue;
        Query q;
        q.entity = "Contact";
        q.select = {"id", "last_name"};
        q.where = Condition::Leaf("id", Op::kEq, ann);
        auto rows = (*read)->Select(q);
        if (rows.ok() && rows->size() == 1 && (*rows)[0]["last_name"] == "Ann" && (*read)->Commit().ok()) {
          ++answered;
        }
      }
    });
  }
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(answered.load(), 300);
  ReopenStore();
  auto after = store_->Begin(false);
  ASSERT_TRUE(after.ok()) << after.status();
}

TEST_F(SqliteStoreTest, SelectsOfOneShapeAnswerWithTheirOwnValues) {
  auto txn = store_->Begin(true).value();
  int64_t ann = InsertContact(*txn, "Ann");
  int64_t bo = InsertContact(*txn, "Bo");
  int64_t bo2 = InsertContact(*txn, "Bo");
  int64_t bo3 = InsertContact(*txn, "Bo");
  ASSERT_TRUE(txn->Update("Contact", bo2, {{"is_deleted", true}}).ok());
  auto ids = [&](const std::string& last, Value deleted, int64_t limit = 0, int64_t offset = 0) {
    Query q;
    q.entity = "Contact";
    q.select = {"id", "last_name"};
    q.where = Condition::And({Condition::Leaf("last_name", Op::kEq, last),
                              Condition::Leaf("is_deleted", Op::kEq, deleted),
                              Condition::Leaf("id", Op::kGe, ann)});
    q.order_by = {{"id", true}};
    q.limit = limit;
    q.offset = offset;
    auto rows = txn->Select(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<int64_t> out;
    if (rows.ok()) {
      for (const Value& row : *rows) out.push_back(row["id"].get<int64_t>());
    }
    return out;
  };
  for (int round = 0; round < 2; ++round) {  // the second round runs from the kept statements
    EXPECT_EQ(ids("Ann", false), std::vector<int64_t>({ann}));
    EXPECT_EQ(ids("Bo", false), std::vector<int64_t>({bo3, bo}));
    EXPECT_EQ(ids("Bo", true), std::vector<int64_t>({bo2}));
    EXPECT_EQ(ids("Bo", 0), std::vector<int64_t>({bo3, bo}));
    // A number as text, then a text that is no number (PostgreSQL compares
    // that one as text: its statement is not the number's).
    EXPECT_EQ(ids("Bo", "1"), std::vector<int64_t>({bo2}));
    EXPECT_TRUE(ids("Bo", "").empty());
    EXPECT_TRUE(ids("Cy", false).empty());
    ASSERT_TRUE(txn->Update("Contact", bo2, {{"is_deleted", false}}).ok());
    EXPECT_EQ(ids("Bo", false, 2), std::vector<int64_t>({bo3, bo2}));
    EXPECT_EQ(ids("Bo", false, 2, 1), std::vector<int64_t>({bo2, bo}));
    EXPECT_EQ(ids("Bo", false, 0, 2), std::vector<int64_t>({bo}));
    ASSERT_TRUE(txn->Update("Contact", bo2, {{"is_deleted", true}}).ok());
  }
}

// A kept select list (KeptSelect) is known by its number, not its paths:
// two lists of one shape answer each with their own columns, again from
// the kept statements, and like a plain list of the same paths.
TEST_F(SqliteStoreTest, KeptSelectListsAnswerWithTheirOwnColumns) {
  auto txn = store_->Begin(true).value();
  auto id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"first_name", "Ann"},
                                    {"last_name", "Lee"}});
  ASSERT_TRUE(id.ok()) << id.status();
  auto names = std::make_shared<const KeptSelect>(std::vector<std::string>{"id", "last_name"});
  auto firsts = std::make_shared<const KeptSelect>(std::vector<std::string>{"id", "first_name"});
  EXPECT_NE(names->number(), firsts->number());
  auto second = [&](std::shared_ptr<const KeptSelect> kept, std::vector<std::string> plain) {
    Query q;
    q.entity = "Contact";
    q.kept_select = std::move(kept);
    q.select = std::move(plain);
    q.where = Condition::Leaf("id", Op::kEq, *id);
    auto rows = txn->Select(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() && rows->size() == 1 ? SelectedColumn((*rows)[0], q, 1) : Value();
  };
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(second(names, {}), "Lee");
    EXPECT_EQ(second(firsts, {}), "Ann");
    EXPECT_EQ(second(nullptr, {"id", "last_name"}), "Lee");
  }
}

// The same through joined paths, whose joins carry parameters of their own
// (the primary email's is_primary = 1, the gender option group's name).
TEST_F(SqliteStoreTest, SelectsOfOneShapeThroughJoinsAnswerWithTheirOwnValues) {
  auto txn = store_->Begin(true).value();
  int64_t ann = InsertContact(*txn, "Ann");
  int64_t bo = InsertContact(*txn, "Bo");
  ASSERT_TRUE(txn->Update("Contact", ann, {{"gender_id", 1}}).ok());
  ASSERT_TRUE(txn->Update("Contact", bo, {{"gender_id", 2}}).ok());
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", ann}, {"email", "ann@x.org"}, {"is_primary", 1}}).ok());
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", bo}, {"email", "bo-old@x.org"}, {"is_primary", 0}}).ok());
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", bo}, {"email", "bo@x.org"}, {"is_primary", 1}}).ok());
  auto row = [&](int64_t id) {
    Query q;
    q.entity = "Contact";
    q.select = {"id", "email_primary.email", "gender_id:label"};
    q.where = Condition::And({Condition::Leaf("id", Op::kEq, id), Condition::Leaf("is_deleted", Op::kEq, 0)});
    q.order_by = {{"email_primary.email", false}};
    auto rows = txn->Select(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() && rows->size() == 1 ? (*rows)[0] : Value();
  };
  for (int round = 0; round < 2; ++round) {
    Value a = row(ann), b = row(bo);
    EXPECT_EQ(a["email_primary.email"], "ann@x.org");
    EXPECT_EQ(a["gender_id:label"], "Female");
    EXPECT_EQ(b["email_primary.email"], "bo@x.org");
    EXPECT_EQ(b["gender_id:label"], "Male");
  }
}

TEST_F(SqliteStoreTest, JoinsPrimaryEmailAndOptionLabels) {
  auto txn = store_->Begin(true).value();
  int64_t id = InsertContact(*txn, "Doe");
  ASSERT_TRUE(txn->Update("Contact", id, {{"gender_id", 1}}).ok());
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", id}, {"email", "a@x.org"}, {"is_primary", 0}}).ok());
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", id}, {"email", "b@x.org"}, {"is_primary", 1}}).ok());
  ASSERT_TRUE(txn->Commit().ok());

  auto read = store_->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "email_primary.email", "gender_id:label"};
  q.where = Condition::Leaf("last_name", Op::kEq, "doe");  // case-insensitive, as MySQL
  auto rows = read->Select(q).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["email_primary.email"], "b@x.org");
  EXPECT_EQ(rows[0]["gender_id:label"], "Female");
}

TEST_F(SqliteStoreTest, UncommittedTransactionLeavesNothing) {
  {
    auto txn = store_->Begin(true).value();
    InsertContact(*txn, "Ghost");
  }
  auto read = store_->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  EXPECT_EQ(read->Count(q).value(), 0);
}

TEST_F(SqliteStoreTest, UniqueClashIsAlreadyExistsNamingTheField) {
  auto txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"external_identifier", "X1"}}).ok());
  auto dup = txn->Insert("Contact", {{"contact_type", "Individual"}, {"external_identifier", "X1"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
}

// ReadBack is what a read of the row gives, column by column: the written
// values (flags as true/false, an integer in a number column, texts, dates)
// and every column's default, pipelined or not. A value a store would turn
// into something of its own has no sure read-back.
TEST_F(SqliteStoreTest, ReadBackIsWhatAReadOfTheRowGives) {
  auto txn = store_->Begin(true).value();
  int64_t contact = InsertContact(*txn, "Reader");
  const Value contact_row = {{"contact_type", "Individual"}, {"first_name", "Ann"},
                             {"do_not_email", true}, {"do_not_phone", false},
                             {"is_opt_out", nullptr}, {"gender_id", 2},
                             {"birth_date", "1980-02-03"}, {"created_date", "2024-05-06 07:08:09"}};
  const Value address_row = {{"contact_id", contact}, {"location_type_id", 1},
                             {"street_address", "1 Main St"}, {"geo_code_1", 12},
                             {"geo_code_2", -1.25}, {"is_primary", 1}};
  for (bool pipelined : {false, true}) {
    if (pipelined) {
      ASSERT_TRUE(txn->PipelineInserts().ok());
    }
    for (const auto& [entity, written] : {std::pair<std::string, Value>{"Contact", contact_row},
                                          std::pair<std::string, Value>{"Address", address_row}}) {
      auto id = txn->Insert(entity, written);
      ASSERT_TRUE(id.ok()) << id.status();
      const schema::Entity* e = txn->catalog()->Find(entity);
      Query q;
      q.entity = entity;
      for (const schema::Field& f : e->fields) q.select.push_back(f.name);
      q.where = Condition::Leaf("id", Op::kEq, *id);
      auto rows = txn->Select(q).value();
      ASSERT_EQ(rows.size(), 1u);
      for (const schema::Field& f : e->fields) {
        if (f.name == "id") continue;
        std::optional<Value> back = ReadBack(f, written.contains(f.name) ? written[f.name] : f.default_value);
        ASSERT_TRUE(back.has_value()) << entity << "." << f.name;
        EXPECT_EQ(back->dump(), rows[0][f.name].dump()) << entity << "." << f.name;
      }
    }
  }
  const schema::Entity* contact_entity = txn->catalog()->Find("Contact");
  EXPECT_FALSE(ReadBack(*contact_entity->FindField("first_name"), 12).has_value());
  EXPECT_FALSE(ReadBack(*contact_entity->FindField("gender_id"), "2").has_value());
}

// What SQLite's NOCASE text and dynamic types give, which every backend
// (PostgreSQL: citext, text compared as text) gives too.
TEST_F(SqliteStoreTest, TextComparesAsOnSqlite) {
  auto txn = store_->Begin(true).value();
  auto named = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "Smith"},
                                       {"first_name", "Bo"}, {"external_identifier", "X1"}});
  auto unnamed = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", "smith"}});
  ASSERT_TRUE(named.ok() && unnamed.ok());
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("last_name", Op::kEq, "SMITH");
  q.order_by = {{"first_name", false}};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0]["id"], *unnamed) << "NULL sorts first";
  q.order_by = {{"first_name", true}};
  EXPECT_EQ(txn->Select(q).value()[0]["id"], *named) << "and last, descending";
  q.where = Condition::Leaf("last_name", Op::kLike, "SMI%");
  EXPECT_EQ(txn->Count(q).value(), 2);
  // A number compared with a text that is no number: no row, no error.
  q.where = Condition::Leaf("id", Op::kEq, "abc");
  EXPECT_EQ(txn->Count(q).value(), 0);
  q.where = Condition::Leaf("id", Op::kIn, Value::array({"abc", *named}));
  EXPECT_EQ(txn->Count(q).value(), 1);
  // Unique keys ignore case; the clash undoes only its own statement.
  auto clash = txn->Insert("Contact", {{"contact_type", "Individual"}, {"external_identifier", "x1"}});
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  q.where = Condition::And();
  EXPECT_EQ(txn->Count(q).value(), 2);
  EXPECT_TRUE(txn->Commit().ok());
}

// LIKE with a literal start (an autocomplete's "Smi%"), which PostgreSQL
// also answers from the index by the range of values starting with it:
// case-insensitive, escapes and wildcards kept, edges of the range and
// non-ASCII starts included; and the order of rows filtered on the order
// column (no NULLs left), ascending and descending.
TEST_F(SqliteStoreTest, LikeWithALiteralStartMatchesAsAPattern) {
  auto txn = store_->Begin(true).value();
  for (const char* name : {"abbot", "ABC", "Ab%x", "Ab_y", "abz", "ab", "ac", "aa~", "a",
                           "Abé", "ÀBC", "b~", "b\\c", "c"}) {
    InsertContact(*txn, name);
  }
  InsertContact(*txn, "");
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}}).ok());  // no last name
  Query q;
  q.entity = "Contact";
  q.select = {"last_name"};
  q.order_by = {{"last_name", false}};
  auto names = [&](const char* pattern, bool descending = false) {
    q.where = Condition::Leaf("last_name", Op::kLike, pattern);
    q.order_by[0].descending = descending;
    std::vector<std::string> out;
    auto rows = txn->Select(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    for (const Value& r : rows.value_or(std::vector<Value>{})) out.push_back(r["last_name"].get<std::string>());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("ab%"), (V{"ab", "Ab%x", "Ab_y", "abbot", "ABC", "abz", "Abé"}));
  EXPECT_EQ(names("AB%", true), (V{"Abé", "abz", "ABC", "abbot", "Ab_y", "Ab%x", "ab"}));
  EXPECT_EQ(names("ab\\%%"), (V{"Ab%x"}));
  EXPECT_EQ(names("ab\\_%"), (V{"Ab_y"}));
  EXPECT_EQ(names("ab_"), (V{"ABC", "abz", "Abé"}));
  EXPECT_EQ(names("a%~"), (V{"aa~"}));
  EXPECT_EQ(names("b~%"), (V{"b~"}));
  EXPECT_EQ(names("b\\\\%"), (V{"b\\c"}));
  EXPECT_EQ(names("abc"), (V{"ABC"}));
  EXPECT_EQ(names("%bc"), (V{"ABC", "ÀBC"}));
  EXPECT_EQ(names("Àb%"), (V{"ÀBC"}));
  EXPECT_EQ(names("z%"), V{});
  q.where = Condition::Leaf("last_name", Op::kGe, "b");
  q.order_by[0].descending = true;
  auto rows = txn->Select(q).value();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["last_name"], "ÀBC");
  EXPECT_EQ(rows[3]["last_name"], "b\\c");
}

TEST_F(SqliteStoreTest, DeletingAContactDeletesItsEmails) {
  auto txn = store_->Begin(true).value();
  int64_t id = InsertContact(*txn, "Gone");
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", id}, {"email", "g@x.org"}}).ok());
  ASSERT_TRUE(txn->Delete("Contact", id).ok());
  Query q;
  q.entity = "Email";
  q.select = {"id"};
  EXPECT_EQ(txn->Count(q).value(), 0);
  EXPECT_EQ(txn->Delete("Contact", id).code(), absl::StatusCode::kNotFound);
}

// A contact's emails, phones and addresses name a contact that exists
// (PostgreSQL: kith's store checks it, having no foreign key for it; SQLite:
// its foreign key), on insert, pipelined or not, and on update; deleting
// the contact deletes them, and only them.
TEST_F(SqliteStoreTest, RowsOwnedByAContactNameOneAndGoWithIt) {
  auto txn = store_->Begin(true).value();
  int64_t contact = InsertContact(*txn, "Owner");
  int64_t other = InsertContact(*txn, "Other");
  const int64_t missing = other + 1000;
  for (const auto& [entity, row] : std::vector<std::pair<const char*, Value>>{
           {"Email", {{"email", "m@x.org"}}}, {"Phone", {{"phone", "1"}}}, {"Address", {{"city", "M"}}}}) {
    Value bad = row;
    bad["contact_id"] = missing;
    auto refused = txn->Insert(entity, bad);
    ASSERT_FALSE(refused.ok()) << entity;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << entity;
    EXPECT_EQ(refused.status().message(), "a linked record does not exist") << entity;
    Value good = row;
    good["contact_id"] = contact;
    ASSERT_TRUE(txn->Insert(entity, good).ok()) << entity;
    good["contact_id"] = other;
    ASSERT_TRUE(txn->Insert(entity, good).ok()) << entity;
  }
  auto kept = txn->Insert("Email", {{"contact_id", std::to_string(other)}, {"email", "o@x.org"}});
  ASSERT_TRUE(kept.ok()) << kept.status();
  Status moved = txn->Update("Email", *kept, {{"contact_id", missing}});
  EXPECT_EQ(moved.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(moved.message(), "a linked record does not exist");
  ASSERT_TRUE(txn->Commit().ok());

  // Pipelined: refused when queued (PostgreSQL) or when written (SQLite).
  txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->PipelineInserts().ok());
  int64_t queued_owner = InsertContact(*txn, "Queued");
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", queued_owner}, {"email", "q@x.org"}}).ok());
  auto queued = txn->Insert("Email", {{"contact_id", missing}, {"email", "q2@x.org"}});
  Status written = queued.ok() ? txn->Commit() : queued.status();
  EXPECT_EQ(written.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(written.message().find("a linked record does not exist"), std::string::npos) << written;
  txn.reset();

  txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->Delete("Contact", contact).ok());
  ASSERT_TRUE(txn->Commit().ok());
  txn = store_->Begin(false).value();
  for (const char* entity : {"Email", "Phone", "Address"}) {
    Query q;
    q.entity = entity;
    q.select = {"contact_id"};
    q.order_by = {{"id", false}};
    auto rows = txn->Select(q);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), std::string(entity) == "Email" ? 2u : 1u) << entity;
    for (const Value& r : *rows) EXPECT_EQ(r["contact_id"], other) << entity;
  }
}

// PostgreSQL: with no foreign key, a transaction adding an email to a
// contact that another deletes meanwhile conflicts with it (both are
// serializable): one of the two commits, and no email outlives its contact.
// (With the foreign key the delete waited for the insert's lock.)
TEST_F(SqliteStoreTest, AnEmailAddedWhileItsContactIsDeletedConflicts) {
  if (!OnPostgres()) GTEST_SKIP() << "SQLite writes one transaction at a time";
  int64_t contact = 0;
  {
    auto txn = store_->Begin(true).value();
    contact = InsertContact(*txn, "Contested");
    ASSERT_TRUE(txn->Commit().ok());
  }
  for (bool adder_first : {true, false}) {
    if (!adder_first) {
      auto txn = store_->Begin(true).value();
      contact = InsertContact(*txn, "Contested");
      ASSERT_TRUE(txn->Commit().ok());
    }
    auto adder = store_->Begin(true).value();
    auto deleter = store_->Begin(true).value();
    auto added = adder->Insert("Email", {{"contact_id", contact}, {"email", "late@x.org"}});
    ASSERT_TRUE(added.ok()) << added.status();
    Status deleted = deleter->Delete("Contact", contact);
    ASSERT_TRUE(deleted.ok() || IsRetryable(deleted)) << deleted;
    ExpectOneOfTwoCommits(*adder, *deleter, deleted, adder_first);
    auto conn = postgres::PgConnection::Open(options_.database_url).value();
    EXPECT_EQ(conn->RunScalar("SELECT COUNT(*) FROM civicrm_email e WHERE NOT EXISTS (SELECT 1 FROM "
                              "civicrm_contact c WHERE c.id = e.contact_id)", {}).value(), 0);
  }
}

// Migration 17 on a PostgreSQL database of version 16: the foreign keys of
// emails, phones and addresses to their contact go (whatever their names),
// as a new database has none; the other tables' foreign keys stay.
TEST_F(SqliteStoreTest, Migration17DropsTheForeignKeysOfRowsOwnedByAContact) {
  if (!OnPostgres()) GTEST_SKIP() << "SQLite keeps its foreign keys";
  auto conn = [&] { return postgres::PgConnection::Open(options_.database_url).value(); };
  auto foreign_keys = [&] { return ForeignKeys(*conn()); };
  const std::string made_new = foreign_keys();
  for (const char* table : {"civicrm_email", "civicrm_phone", "civicrm_address"}) {
    EXPECT_EQ(made_new.find(std::string(table) + " FOREIGN KEY (contact_id)"), std::string::npos) << made_new;
  }
  EXPECT_NE(made_new.find("civicrm_group_contact FOREIGN KEY (contact_id) REFERENCES civicrm_contact(id)"),
            std::string::npos) << made_new;
  ExpectReopeningRemakesForeignKeys(
       {"ALTER TABLE civicrm_email ADD FOREIGN KEY (contact_id) REFERENCES civicrm_contact(id) ON DELETE CASCADE",
        "ALTER TABLE civicrm_phone ADD CONSTRAINT some_name FOREIGN KEY (contact_id) REFERENCES "
        "civicrm_contact(id) ON DELETE CASCADE",
        "ALTER TABLE civicrm_address ADD FOREIGN KEY (contact_id) REFERENCES civicrm_contact(id) ON DELETE CASCADE",
        "DELETE FROM kith_schema_version WHERE version >= 17"},
       made_new);
  EXPECT_EQ(conn()->RunScalar("SELECT MAX(version) FROM kith_schema_version", {}).value(),
            AllMigrations().back().version);
}

// Migration 19 on a database of version 18: the change log's index of
// created_date, as each backend made it, goes (a new database has none);
// its index of (entity_id, entity) stays.
TEST_F(SqliteStoreTest, Migration19DropsTheChangeLogIndexOfCreatedDate) {
  // The definitions of kith_change_log's indexes, one a line.
  auto indexes = [&] {
    const std::string sql =
        OnPostgres() ? "SELECT indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() "
                       "AND tablename = 'kith_change_log' ORDER BY indexname"
                     : "SELECT sql AS def FROM sqlite_master WHERE type = 'index' AND "
                       "tbl_name = 'kith_change_log' AND sql IS NOT NULL ORDER BY name";
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"def"};
    if (OnPostgres()) {
      auto conn = postgres::PgConnection::Open(options_.database_url).value();
      EXPECT_TRUE(conn->Run(sql, {}, &keys, nullptr, &rows).ok());
    } else {
      auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
      EXPECT_TRUE(conn->Run(sql, {}, &keys, nullptr, &rows).ok());
    }
    std::string out;
    for (const Value& r : rows) out += r["def"].get<std::string>() + "\n";
    return out;
  };
  const std::string made_new = indexes();
  EXPECT_EQ(made_new.find("created_date"), std::string::npos) << made_new;
  EXPECT_NE(made_new.find("entity_id"), std::string::npos) << made_new;
  store_.reset();
  // The index as versions 10 to 18 made it (PostgreSQL: by key since 13).
  const std::vector<std::string> ddl = {
      OnPostgres() ? "CREATE INDEX idx_kith_change_log_lower_created_date ON kith_change_log "
                     "((lower(CAST(created_date AS TEXT) COLLATE \"default\") COLLATE \"C\"))"
                   : "CREATE INDEX idx_kith_change_log_created_date ON kith_change_log (created_date)",
      "DELETE FROM kith_schema_version WHERE version >= 19"};
  for (const std::string& s : ddl) {
    Status done = OnPostgres()
                      ? postgres::PgConnection::Open(options_.database_url).value()->Exec(s)
                      : sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value()->Exec(s);
    ASSERT_TRUE(done.ok()) << s << ": " << done;
  }
  ASSERT_NE(indexes().find("created_date"), std::string::npos);
  ReopenStore();
  EXPECT_EQ(indexes(), made_new);
}

// A link of a row to another of its entity (a contact's employer and
// household head, a tag's parent; PostgreSQL: checked by kith's store,
// SQLite: its foreign key) names a row that exists, or the row itself, on
// insert and update; deleting the row linked to clears the links to it, and
// only them.
TEST_F(SqliteStoreTest, LinksOfARowToAnotherOfItsEntityAreCheckedAndClearedAsByAForeignKey) {
  auto txn = store_->Begin(true).value();
  int64_t org = InsertContact(*txn, "Org");
  int64_t other_org = InsertContact(*txn, "Other org");
  const int64_t missing = other_org + 1000;
  for (const char* link : {"employer_id", "primary_contact_id"}) {
    auto refused = txn->Insert("Contact", {{"contact_type", "Individual"}, {link, missing}});
    ASSERT_FALSE(refused.ok()) << link;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << link;
    EXPECT_EQ(refused.status().message(), "a linked record does not exist") << link;
    Status moved = txn->Update("Contact", org, {{link, std::to_string(missing)}});
    EXPECT_EQ(moved.code(), absl::StatusCode::kInvalidArgument) << link;
    EXPECT_EQ(moved.message(), "a linked record does not exist") << link;
  }
  auto employee = txn->Insert("Contact", {{"contact_type", "Individual"}, {"employer_id", org},
                                          {"primary_contact_id", org}});
  ASSERT_TRUE(employee.ok()) << employee.status();
  auto elsewhere = txn->Insert("Contact", {{"contact_type", "Individual"}, {"employer_id", other_org},
                                           {"primary_contact_id", org}});
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  const int64_t own_id = missing + 1;
  auto itself =
      txn->Insert("Contact", {{"id", own_id}, {"contact_type", "Organization"}, {"employer_id", own_id}});
  ASSERT_TRUE(itself.ok()) << itself.status();
  ASSERT_TRUE(txn->Update("Contact", org, {{"employer_id", org}}).ok());
  auto tag = txn->Insert("Tag", {{"name", "Parent"}});
  ASSERT_TRUE(tag.ok()) << tag.status();
  auto orphan = txn->Insert("Tag", {{"name", "Orphan"}, {"parent_id", *tag + 1000}});
  EXPECT_EQ(orphan.status().code(), absl::StatusCode::kInvalidArgument);
  auto child = txn->Insert("Tag", {{"name", "Child"}, {"parent_id", *tag}});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(txn->Commit().ok());

  txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->Delete("Contact", org).ok());
  ASSERT_TRUE(txn->Delete("Contact", *itself).ok());
  ASSERT_TRUE(txn->Delete("Tag", *tag).ok());
  ASSERT_TRUE(txn->Commit().ok());
  txn = store_->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"id", "employer_id", "primary_contact_id"};
  q.order_by = {{"id", false}};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);  // the other organization and the two individuals
  EXPECT_EQ((*rows)[0]["id"], other_org);
  EXPECT_EQ((*rows)[1]["id"], *employee);
  EXPECT_TRUE((*rows)[1]["employer_id"].is_null());
  EXPECT_TRUE((*rows)[1]["primary_contact_id"].is_null());
  EXPECT_EQ((*rows)[2]["employer_id"], other_org);
  EXPECT_TRUE((*rows)[2]["primary_contact_id"].is_null());
  q.entity = "Tag";
  q.select = {"parent_id"};
  q.where = Condition::Leaf("id", Op::kEq, *child);
  rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_TRUE((*rows)[0]["parent_id"].is_null());
}

// PostgreSQL: with no foreign key, a transaction making a contact the
// employer of a new contact while another deletes it conflicts with it
// (both are serializable): one of the two commits, and no link outlives
// the contact it names.
TEST_F(SqliteStoreTest, AnEmployeeAddedWhileItsEmployerIsDeletedConflicts) {
  if (!OnPostgres()) GTEST_SKIP() << "SQLite writes one transaction at a time";
  for (bool adder_first : {true, false}) {
    int64_t employer = 0;
    {
      auto txn = store_->Begin(true).value();
      employer = InsertContact(*txn, "Contested");
      ASSERT_TRUE(txn->Commit().ok());
    }
    auto adder = store_->Begin(true).value();
    auto deleter = store_->Begin(true).value();
    auto added = adder->Insert("Contact", {{"contact_type", "Individual"}, {"employer_id", employer}});
    ASSERT_TRUE(added.ok()) << added.status();
    Status deleted = deleter->Delete("Contact", employer);
    ASSERT_TRUE(deleted.ok() || IsRetryable(deleted)) << deleted;
    ExpectOneOfTwoCommits(*adder, *deleter, deleted, adder_first);
    auto conn = postgres::PgConnection::Open(options_.database_url).value();
    EXPECT_EQ(conn->RunScalar("SELECT COUNT(*) FROM civicrm_contact e WHERE employer_id IS NOT NULL AND "
                              "NOT EXISTS (SELECT 1 FROM civicrm_contact c WHERE c.id = e.employer_id)",
                              {}).value(), 0);
  }
}

// Migration 18 on a PostgreSQL database of version 17: the foreign keys of
// a contact's employer and household head, a tag's parent, an activity's
// parent and original go (whatever their names), as a new database has none; the other links
// to contacts keep theirs.
TEST_F(SqliteStoreTest, Migration18DropsTheForeignKeysOfLinksToTheSameEntity) {
  if (!OnPostgres()) GTEST_SKIP() << "SQLite keeps its foreign keys";
  auto conn = [&] { return postgres::PgConnection::Open(options_.database_url).value(); };
  auto foreign_keys = [&] { return ForeignKeys(*conn()); };
  const std::string made_new = foreign_keys();
  for (const char* link :
       {"civicrm_contact FOREIGN KEY (employer_id)", "civicrm_contact FOREIGN KEY (primary_contact_id)",
        "civicrm_tag FOREIGN KEY (parent_id)", "civicrm_activity FOREIGN KEY (parent_id)",
        "civicrm_activity FOREIGN KEY (original_id)"}) {
    EXPECT_EQ(made_new.find(link), std::string::npos) << made_new;
  }
  EXPECT_NE(made_new.find("civicrm_group FOREIGN KEY (created_id) REFERENCES civicrm_contact(id) "
                          "ON DELETE SET NULL"),
            std::string::npos) << made_new;
  ExpectReopeningRemakesForeignKeys(
       {"ALTER TABLE civicrm_contact ADD FOREIGN KEY (employer_id) REFERENCES civicrm_contact(id) "
        "ON DELETE SET NULL",
        "ALTER TABLE civicrm_contact ADD CONSTRAINT some_name FOREIGN KEY (primary_contact_id) REFERENCES "
        "civicrm_contact(id) ON DELETE SET NULL",
        "ALTER TABLE civicrm_tag ADD FOREIGN KEY (parent_id) REFERENCES civicrm_tag(id) ON DELETE SET NULL",
        "ALTER TABLE civicrm_activity ADD FOREIGN KEY (parent_id) REFERENCES civicrm_activity(id) "
        "ON DELETE SET NULL",
        "ALTER TABLE civicrm_activity ADD FOREIGN KEY (original_id) REFERENCES civicrm_activity(id) "
        "ON DELETE SET NULL",
        "DELETE FROM kith_schema_version WHERE version >= 18"},
       made_new);
  EXPECT_GE(conn()->RunScalar("SELECT MAX(version) FROM kith_schema_version", {}).value(), 18);
}

// A link to reference data (a location type) is checked by the store on
// both backends (PostgreSQL has no foreign key for it): a bad id is refused
// naming the field, pipelined or not, on insert and on update; a delete of
// the location type clears the links to it, as ON DELETE SET NULL does.
TEST_F(SqliteStoreTest, LinksToReferenceDataAreCheckedAndClearedAsByAForeignKey) {
  auto txn = store_->Begin(true).value();
  int64_t contact = InsertContact(*txn, "Located");
  auto bad = txn->Insert("Email", {{"contact_id", contact}, {"email", "b@x.org"}, {"location_type_id", 999}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "location_type_id is not valid: 999");
  auto worded = txn->Insert("Phone", {{"contact_id", contact}, {"phone", "1"}, {"location_type_id", "x"}});
  EXPECT_EQ(worded.status().code(), absl::StatusCode::kInvalidArgument);
  auto email = txn->Insert("Email", {{"contact_id", contact}, {"email", "g@x.org"}, {"location_type_id", 2}});
  ASSERT_TRUE(email.ok()) << email.status();
  EXPECT_EQ(txn->Update("Email", *email, {{"location_type_id", 998}}).code(),
            absl::StatusCode::kInvalidArgument);
  auto place = txn->Insert("LocationType", {{"name", "Cabin"}});
  ASSERT_TRUE(place.ok()) << place.status();
  ASSERT_TRUE(txn->Update("Email", *email, {{"location_type_id", *place}}).ok());
  ASSERT_TRUE(txn->Commit().ok());

  txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->PipelineInserts().ok());
  auto queued = txn->Insert("Email", {{"contact_id", contact}, {"email", "q@x.org"}, {"location_type_id", 997}});
  EXPECT_EQ(queued.status().code(), absl::StatusCode::kInvalidArgument);
  txn.reset();

  txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->Delete("LocationType", *place).ok());
  Query q;
  q.entity = "Email";
  q.select = {"id", "location_type_id"};
  q.where = Condition::Leaf("id", Op::kEq, *email);
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_TRUE((*rows)[0]["location_type_id"].is_null());
  ASSERT_TRUE(txn->Commit().ok());
}

// On PostgreSQL a new database has no foreign key for a link to reference
// data and no planner statistics for keyed text columns; a database made
// before (the foreign key there, the columns sampled) loses both when a
// store opens it, and ANALYZE then keeps the statistics of the index of
// lowered last names (what plans use), not those of the column.
TEST_F(SqliteStoreTest, OpeningAPostgresDatabaseDropsReferenceForeignKeysAndTextStatistics) {
  if (!OnPostgres()) GTEST_SKIP() << "PostgreSQL's own constraints and statistics";
  auto conn = [&] { return postgres::PgConnection::Open(options_.database_url).value(); };
  auto foreign_keys = [&](const std::string& table) {
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"def"};
    EXPECT_TRUE(conn()->Run("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
                            "AND conrelid = CAST($1 AS regclass) ORDER BY 1", {table}, &keys, nullptr,
                            &rows).ok());
    std::string out;
    for (const Value& r : rows) out += r["def"].get<std::string>() + "\n";
    return out;
  };
  auto sampled = [&] {
    return conn()->RunScalar(
        "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = CAST('civicrm_contact' AS regclass) AND "
        "attname IN ('last_name', 'sort_name', 'hash') AND attstattarget <> 0", {}).value();
  };
  EXPECT_EQ(foreign_keys("civicrm_email").find("location_type"), std::string::npos);
  EXPECT_NE(foreign_keys("civicrm_group_contact").find("REFERENCES civicrm_contact(id) ON DELETE CASCADE"),
            std::string::npos);
  EXPECT_EQ(sampled(), 0);
  store_.reset();
  for (const char* ddl :
       {"ALTER TABLE civicrm_email ADD FOREIGN KEY (location_type_id) REFERENCES "
        "civicrm_location_type(id) ON DELETE SET NULL",
        "ALTER TABLE civicrm_contact ALTER COLUMN last_name SET STATISTICS -1",
        "ALTER TABLE civicrm_contact ALTER COLUMN sort_name SET STATISTICS -1",
        "ALTER TABLE civicrm_contact ALTER COLUMN hash SET STATISTICS 100"}) {
    ASSERT_TRUE(conn()->Exec(ddl).ok()) << ddl;
  }
  ASSERT_NE(foreign_keys("civicrm_email").find("location_type"), std::string::npos);
  ASSERT_EQ(sampled(), 3);
  ReopenStore();
  EXPECT_EQ(foreign_keys("civicrm_email"), "");
  EXPECT_NE(foreign_keys("civicrm_group_contact").find("civicrm_contact"), std::string::npos);
  EXPECT_EQ(sampled(), 0);
  {
    auto txn = store_->Begin(true).value();
    for (const char* last : {"carter", "SMITH", "Brown"}) InsertContact(*txn, last);
    ASSERT_TRUE(txn->Commit().ok());
  }
  ASSERT_TRUE(conn()->Exec("ANALYZE civicrm_contact").ok());
  auto stats = [&](const std::string& table) {
    return conn()->RunScalar("SELECT COUNT(*) FROM pg_stats WHERE tablename = $1", {table}).value();
  };
  EXPECT_EQ(conn()->RunScalar("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'civicrm_contact' "
                              "AND attname = 'last_name'", {}).value(), 0);
  EXPECT_EQ(stats("idx_civicrm_contact_lower_last_name"), 1);
}

// User changes are counted by the database (triggers), so that what auth
// keeps in memory can tell it is still current, whichever process wrote.
TEST_F(SqliteStoreTest, ChangesToUsersAreCountedForEveryWriter) {
  auto count = [&]() { return store_->Begin(false).value()->ChangeCount("User"); };
  std::optional<int64_t> start = count();
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(store_->Begin(false).value()->ChangeCount("Contact"), std::nullopt);

  // Other entities' writes leave it; a User write counts, and the writing
  // transaction no longer claims to know the count.
  auto txn = store_->Begin(true).value();
  int64_t contact = InsertContact(*txn, "Counted");
  EXPECT_EQ(txn->ChangeCount("User"), start);
  auto user = txn->Insert("User", {{"name", "u1"}, {"role", "viewer"}, {"contact_id", contact},
                                   {"api_key_hash", "h1"}, {"is_active", 1}});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(txn->ChangeCount("User"), std::nullopt);
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(count(), *start + 1);

  // A reader's snapshot keeps the count it began with.
  auto reader = store_->Begin(false).value();
  // Another store on the same file: another process (the `kith user` CLI).
  auto other = OpenStore(options_).value();
  auto write = other->Begin(true).value();
  ASSERT_TRUE(write->Update("User", *user, {{"is_active", 0}}).ok());
  ASSERT_TRUE(write->Commit().ok());
  EXPECT_EQ(reader->ChangeCount("User"), *start + 1);
  EXPECT_EQ(count(), *start + 2);

  // A contact's delete that cascades to its user counts too.
  write = other->Begin(true).value();
  ASSERT_TRUE(write->Delete("Contact", contact).ok());
  EXPECT_EQ(write->ChangeCount("User"), std::nullopt);
  ASSERT_TRUE(write->Commit().ok());
  EXPECT_EQ(count(), *start + 3);
}

// Option groups and values share one count, so that option labels kept in
// memory (api/option_table.h) can tell they are still current.
TEST_F(SqliteStoreTest, ChangesToOptionsAreCountedForEveryWriter) {
  auto count = [&]() { return store_->Begin(false).value()->ChangeCount("OptionValue"); };
  std::optional<int64_t> start = count();
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(store_->Begin(false).value()->ChangeCount("OptionGroup"), start);
  const std::optional<int64_t> users = store_->Begin(false).value()->ChangeCount("User");

  auto txn = store_->Begin(true).value();
  auto group = txn->Insert("OptionGroup", {{"name", "counted_group"}});
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(txn->ChangeCount("OptionValue"), std::nullopt);
  EXPECT_EQ(txn->ChangeCount("User"), users);
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(count(), *start + 1);

  // Another store on the same file: another process.
  auto other = OpenStore(options_).value();
  auto write = other->Begin(true).value();
  auto value = write->Insert("OptionValue", {{"option_group_id", *group}, {"value", "1"}, {"label", "One"}});
  ASSERT_TRUE(value.ok()) << value.status();
  ASSERT_TRUE(write->Update("OptionValue", *value, {{"label", "Uno"}}).ok());
  ASSERT_TRUE(write->Commit().ok());
  EXPECT_EQ(count(), *start + 3);
  EXPECT_EQ(store_->Begin(false).value()->ChangeCount("User"), users);
}

// A pipelined read runs its first statement alone, outside a transaction,
// with the check of the catalog and change counts it assumed in it: its rows are a read's, and it asks
// for the work to be done again when another process changed the users or
// the options, or when a second statement comes.
TEST_F(SqliteStoreTest, PipelinedReadOfOneStatementChecksWhatItAssumed) {
  if (!OnPostgres()) GTEST_SKIP() << "SQLite's reads are not pipelined";
  std::vector<int64_t> ids;
  {
    auto txn = store_->Begin(true).value();
    for (const char* last : {"Alone1", "Alone2", "Alone3"}) {
      auto id = txn->Insert("Contact", {{"contact_type", "Individual"}, {"last_name", last}});
      ASSERT_TRUE(id.ok()) << id.status();
      ids.push_back(*id);
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  Query q;
  q.entity = "Contact";
  q.select = {"id", "last_name", "id", "middle_name"};  // a repeated column, a NULL one
  q.where = Condition::Leaf("last_name", Op::kLike, "Alone%");
  q.order_by = {{"id", true}};
  const std::vector<Value> expected = store_->Begin(false).value()->Select(q).value();
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(expected[0]["id"], ids[2]);  // in the query's order
  auto pipelined = [&] {
    auto found = std::make_shared<ReadAssumptions>();
    auto txn = store_->BeginPipelinedRead(found);
    EXPECT_TRUE(txn.ok()) << txn.status();
    return std::make_pair(std::move(*txn), found);
  };

  // Its rows, and none as none; the counts it assumed are the store's.
  {
    auto [txn, found] = pipelined();
    EXPECT_EQ(txn->ChangeCount("OptionValue"), store_->Begin(false).value()->ChangeCount("OptionValue"));
    auto rows = txn->Select(q);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows, expected);
    EXPECT_FALSE(found->changed);
    EXPECT_TRUE(txn->Commit().ok());
  }
  // A select whose list cannot take the versions (DISTINCT) reads them
  // around it: the same rows.
  {
    Query distinct = q;
    distinct.distinct = true;
    const std::vector<Value> distinct_rows = store_->Begin(false).value()->Select(distinct).value();
    auto [txn, found] = pipelined();
    auto rows = txn->Select(distinct);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows, distinct_rows);
    EXPECT_EQ(rows->size(), 3u);
    EXPECT_FALSE(found->changed);
  }
  {
    auto [txn, found] = pipelined();
    Query none = q;
    none.where = Condition::Leaf("last_name", Op::kEq, "Nobody");
    struct Counted final : CellRows {
      Status Row(std::span<const Cell>) override {
        ++rows;
        return Status();
      }
      int rows = 0;
    } counted;
    ASSERT_TRUE(txn->SelectEach(none, counted).ok());
    EXPECT_EQ(counted.rows, 0);
    EXPECT_FALSE(found->changed);
  }
  // A second statement cannot share the first one's snapshot: refused, and
  // the work is to be done again.
  {
    auto [txn, found] = pipelined();
    ASSERT_TRUE(txn->Select(q).ok());
    auto again = txn->Select(q);
    EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
    EXPECT_TRUE(found->changed);
    EXPECT_EQ(txn->Count(q).status().code(), absl::StatusCode::kAborted);
  }
  // Work seen to read again after that statement is not done twice again:
  // its next pipelined read begins a transaction (one snapshot for both).
  {
    auto [txn, found] = pipelined();
    ASSERT_TRUE(txn->Select(q).ok());
    auto again = txn->Select(q);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, expected);
    EXPECT_FALSE(found->changed);
    EXPECT_TRUE(txn->Commit().ok());
  }
  Query alone = q;  // a statement no work read again after
  alone.select = {"id", "last_name"};
  const std::vector<Value> alone_rows = store_->Begin(false).value()->Select(alone).value();
  // Another process (the `kith user` CLI, another server; its start counts
  // the catalog's version up too) changes the users, then the options: the
  // next read finds it and asks for the work again; once done again, the
  // next one assumes the new versions.
  auto other = OpenStore(options_).value();
  for (const char* entity : {"User", "OptionValue"}) {
    auto write = other->Begin(true).value();
    if (std::string_view(entity) == "User") {
      ASSERT_TRUE(write->Insert("User", {{"name", "alone"}, {"role", "viewer"}, {"contact_id", ids[0]},
                                         {"api_key_hash", "alone-hash"}, {"is_active", 1}}).ok());
    } else {
      ASSERT_TRUE(write->Insert("OptionValue", {{"option_group_id", 1}, {"value", "alone"},
                                                {"label", "Alone"}}).ok());
    }
    ASSERT_TRUE(write->Commit().ok());
    {
      auto [txn, found] = pipelined();
      EXPECT_EQ(txn->Select(alone).status().code(), absl::StatusCode::kAborted) << entity;
      EXPECT_TRUE(found->changed) << entity;
    }
    // Done again as the contract says, then read alone again.
    EXPECT_EQ(store_->Begin(false).value()->Select(alone).value(), alone_rows);
    auto [txn, found] = pipelined();
    auto rows = txn->Select(alone);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows, alone_rows);
    EXPECT_FALSE(found->changed);
  }
}

// Migration 16 on a database of version 15: the catalog version and the
// change counts move from two tables into kith_versions' one row; the old
// tables and the triggers that counted into them go, and a change is
// counted once, into the new row.
TEST_F(SqliteStoreTest, Migration16ReadsTheVersionsFromOneRow) {
  KITH_SQLITE_ONLY();
  store_.reset();
  {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    for (const char* sql :
         {"DROP TABLE kith_versions",
          "CREATE TABLE kith_catalog_version (version INTEGER NOT NULL)",
          "INSERT INTO kith_catalog_version VALUES (7)",
          "CREATE TABLE kith_change_count (entity TEXT PRIMARY KEY, count INTEGER NOT NULL)",
          "INSERT INTO kith_change_count VALUES ('User', 3), ('Options', 4)",
          "DROP TRIGGER kith_user_versions_insert",
          "CREATE TRIGGER kith_user_counted_insert AFTER insert ON kith_user BEGIN UPDATE "
          "kith_change_count SET count = count + 1 WHERE entity = 'User'; END",
          "DELETE FROM kith_schema_version WHERE version >= 16"}) {
      ASSERT_TRUE(conn->Exec(sql).ok()) << sql;
    }
  }
  auto reopened = OpenStore(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  EXPECT_EQ(conn->RunScalar("SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                              "('kith_catalog_version', 'kith_change_count') OR name LIKE '%counted%'",
                              {}).value(), 0);
  auto count = [&]() { return store_->Begin(false).value()->ChangeCount("User"); };
  const std::optional<int64_t> start = count();
  ASSERT_TRUE(start.has_value());
  auto txn = store_->Begin(true).value();
  int64_t contact = InsertContact(*txn, "Migrated");
  ASSERT_TRUE(txn->Insert("User", {{"name", "u16"}, {"role", "viewer"}, {"contact_id", contact},
                                   {"api_key_hash", "h16"}, {"is_active", 1}}).ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(count(), *start + 1);
}

TEST_F(SqliteStoreTest, ReopeningAppliesNoMigrationTwice) {
  store_.reset();
  auto again = OpenStore(options_);
  ASSERT_TRUE(again.ok()) << again.status();
  auto txn = (*again)->Begin(false).value();
  Query q;
  q.entity = "LocationType";
  q.select = {"id"};
  EXPECT_EQ(txn->Count(q).value(), 5);
}

// Optional links and mostly-empty columns are indexed only where set
// (schema sparse_indexes). A database made before that gets them remade by
// migration 8; a lookup by value uses them, and the rows are all found.
TEST_F(SqliteStoreTest, Migration8RemakesIndexesOfOftenEmptyColumnsSparse) {
  KITH_SQLITE_ONLY();
  auto index_sql = [&](const std::string& name) {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"sql"};
    EXPECT_TRUE(conn->Run("SELECT sql FROM sqlite_master WHERE name = ?", {name}, &keys, nullptr,
                          &rows).ok());
    return rows.size() == 1 ? rows[0]["sql"].get<std::string>() : std::string();
  };
  const std::string employer = "idx_civicrm_contact_employer_id";
  const std::string org_name = "idx_civicrm_contact_organization_name";
  EXPECT_NE(index_sql(employer).find("WHERE employer_id IS NOT NULL"), std::string::npos);
  store_.reset();
  {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    for (const char* ddl : {"DROP INDEX idx_civicrm_contact_employer_id",
                            "CREATE INDEX idx_civicrm_contact_employer_id ON civicrm_contact (employer_id)",
                            "DROP INDEX idx_civicrm_contact_organization_name",
                            "CREATE INDEX idx_civicrm_contact_organization_name ON civicrm_contact "
                            "(organization_name)",
                            "DELETE FROM kith_schema_version WHERE version >= 8"}) {
      ASSERT_TRUE(conn->Exec(ddl).ok()) << ddl;
    }
    ASSERT_TRUE(sqlite::UndoMigration10(*conn).ok());
    ASSERT_TRUE(sqlite::UndoMigration9(*conn).ok());
  }
  ASSERT_EQ(index_sql(employer).find("WHERE"), std::string::npos);
  ReopenStore();
  EXPECT_NE(index_sql(employer).find("WHERE employer_id IS NOT NULL"), std::string::npos);
  EXPECT_NE(index_sql(org_name).find("WHERE organization_name IS NOT NULL"), std::string::npos);

  auto txn = store_->Begin(true).value();
  auto org = txn->Insert("Contact", {{"contact_type", "Organization"}, {"organization_name", "Acme"}});
  ASSERT_TRUE(org.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}, {"employer_id", *org}}).ok());
    InsertContact(*txn, "Alone");
  }
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("employer_id", Op::kEq, *org);
  EXPECT_EQ(txn->Count(q).value(), 3);
  q.where = Condition::Leaf("employer_id", Op::kIsNull, Value());
  EXPECT_EQ(txn->Count(q).value(), 4);  // the organization and the three alone
  q.where = Condition::Leaf("organization_name", Op::kLike, "Ac%");
  EXPECT_EQ(txn->Count(q).value(), 1);
  // Deleting the employer clears the link (found through the sparse index).
  ASSERT_TRUE(txn->Delete("Contact", *org).ok());
  q.where = Condition::Leaf("employer_id", Op::kIsNull, Value());
  EXPECT_EQ(txn->Count(q).value(), 6);
}

// Planner statistics (planner_statistics.h) follow the contacts as they
// grow fourfold, and a store that opens over data without them gathers them.
TEST_F(SqliteStoreTest, PlannerStatisticsAreGatheredAsTheContactsGrow) {
  KITH_SQLITE_ONLY();
  // The contacts sqlite_stat1 records (an estimate from a sample, per
  // index: the largest), 0 without statistics.
  auto analyzed = [&] {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    if (!sqlite::HasStatistics(*conn, "civicrm_contact").value()) return int64_t{0};
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"stat"};
    EXPECT_TRUE(conn->Run("SELECT stat FROM sqlite_stat1 WHERE tbl = 'civicrm_contact'", {},
                          &keys, nullptr, &rows).ok());
    int64_t most = 0;
    for (const Value& row : rows) {
      const std::string stat = row["stat"].get<std::string>();
      most = std::max(most, ParseInt64(stat.substr(0, stat.find(' '))).value_or(0));
    }
    return most;
  };
  auto add_contacts = [&](int n) {
    auto txn = store_->Begin(true).value();
    for (int i = 0; i < n; ++i) InsertContact(*txn, "Grow" + std::to_string(i % 50));
    ASSERT_TRUE(txn->Commit().ok());
  };
  EXPECT_EQ(analyzed(), 0);  // a new database: too small to need them
  add_contacts(1200);
  const int64_t first = analyzed();
  EXPECT_GT(first, 1000);
  add_contacts(2000);  // 3,200 in all: less than four times as many
  EXPECT_EQ(analyzed(), first);
  add_contacts(2000);  // 5,200: past four times
  EXPECT_GT(analyzed(), 4000);

  // Statistics lost (or never gathered, as in a database from before
  // them): the next store to open gathers them.
  store_.reset();
  {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    ASSERT_TRUE(conn->Exec("DELETE FROM sqlite_stat1").ok());
  }
  EXPECT_EQ(analyzed(), 0);
  ReopenStore();
  EXPECT_GT(analyzed(), 4000);

  // What they are for: the members of a large group with a rare last name
  // are found through the names, not by walking the group.
  auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
  ASSERT_TRUE(conn->Exec("INSERT INTO civicrm_group (name, title) VALUES ('big', 'Big')").ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO civicrm_group_contact (group_id, contact_id, status) "
                         "SELECT (SELECT id FROM civicrm_group WHERE name = 'big'), id, 'Added' "
                         "FROM civicrm_contact").ok());
  ASSERT_TRUE(conn->Exec("UPDATE civicrm_contact SET last_name = 'Rare' WHERE id IN "
                         "(SELECT id FROM civicrm_contact ORDER BY id DESC LIMIT 3)").ok());
  ASSERT_TRUE(sqlite::GatherStatistics(*conn).ok());
  std::vector<Value> plan;
  const std::vector<std::string> keys = {"id", "parent", "notused", "detail"};
  ASSERT_TRUE(conn->Run("EXPLAIN QUERY PLAN SELECT t0.id FROM civicrm_contact t0 "
                        "INNER JOIN civicrm_group_contact t1 ON t1.contact_id = t0.id AND "
                        "t1.group_id = (SELECT id FROM civicrm_group WHERE name = 'big') AND "
                        "t1.status = 'Added' WHERE t0.last_name = 'Rare' ORDER BY t1.contact_id",
                        {}, &keys, nullptr, &plan).ok());
  std::string steps;
  for (const Value& step : plan) steps += step["detail"].get<std::string>() + "\n";
  EXPECT_NE(steps.find("idx_civicrm_contact_last_name"), std::string::npos) << steps;
}

// PostgreSQL indexes a text column that is not unique by its lowered text
// (plain text compared byte by byte, cheaper to insert than citext). A
// database whose indexes were made on the citext columns gets them remade
// by migration 13; lookups, patterns and order stay case-insensitive, and
// the lookups are answered through the new indexes.
TEST_F(SqliteStoreTest, Migration13IndexesTextByItsLoweredTextOnPostgres) {
  if (!OnPostgres()) GTEST_SKIP() << "PostgreSQL's own indexes";
  auto conn = [&] { return postgres::PgConnection::Open(options_.database_url).value(); };
  auto indexes = [&](const std::string& table) {
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"name", "def"};
    EXPECT_TRUE(conn()->Run("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 "
                            "ORDER BY indexname", {table}, &keys, nullptr, &rows).ok());
    std::string out;
    for (const Value& r : rows) out += r["name"].get<std::string>() + ": " + r["def"].get<std::string>() + "\n";
    return out;
  };
  // Non-unique indexes over a citext column, in the whole database.
  auto citext_indexes = [&] {
    return conn()->RunScalar(
        "SELECT COUNT(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
        "a.attnum = ANY (i.indkey) WHERE NOT i.indisunique AND a.atttypid = "
        "CAST('citext' AS regtype)", {}).value();
  };
  EXPECT_EQ(citext_indexes(), 0);
  EXPECT_NE(indexes("civicrm_contact").find("idx_civicrm_contact_lower_last_name"), std::string::npos);
  {
    auto txn = store_->Begin(true).value();
    for (const char* last : {"carter", "SMITH", "Brown", "adams", "smithers"}) InsertContact(*txn, last);
    ASSERT_TRUE(txn->Insert("Email", {{"contact_id", InsertContact(*txn, "Mail")},
                                      {"email", "Ann@Example.ORG"}, {"is_primary", 1}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  // The database as it was before migration 13.
  store_.reset();
  for (const char* ddl :
       {"DROP INDEX idx_civicrm_contact_lower_last_name",
        "CREATE INDEX idx_civicrm_contact_last_name ON civicrm_contact (last_name)",
        "DROP INDEX idx_civicrm_contact_lower_sort_name",
        "CREATE INDEX idx_civicrm_contact_sort_name ON civicrm_contact (sort_name)",
        "DROP INDEX idx_civicrm_email_lower_email",
        "CREATE INDEX idx_civicrm_email_email ON civicrm_email (email)",
        "DROP INDEX idx_kith_change_log_entity_id_lower_entity",
        "CREATE INDEX idx_kith_change_log_entity_id_entity ON kith_change_log (entity_id, entity)",
        "DELETE FROM kith_schema_version WHERE version >= 13"}) {
    ASSERT_TRUE(conn()->Exec(ddl).ok()) << ddl;
  }
  ASSERT_EQ(citext_indexes(), 4);
  ReopenStore();
  EXPECT_EQ(citext_indexes(), 0);
  std::string contact = indexes("civicrm_contact");
  EXPECT_EQ(contact.find("idx_civicrm_contact_last_name:"), std::string::npos) << contact;
  EXPECT_NE(contact.find("idx_civicrm_contact_lower_last_name:"), std::string::npos) << contact;
  EXPECT_NE(indexes("civicrm_email").find("idx_civicrm_email_lower_email:"), std::string::npos);
  EXPECT_NE(indexes("kith_change_log").find("idx_kith_change_log_entity_id_lower_entity:"),
            std::string::npos);

  auto txn = store_->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"last_name"};
  auto names = [&] {
    std::vector<std::string> out;
    std::vector<Value> rows = txn->Select(q).value();
    for (const Value& r : rows) out.push_back(r["last_name"].get<std::string>());
    return Join(out, ",");
  };
  q.where = Condition::Leaf("last_name", Op::kEq, "smith");
  EXPECT_EQ(names(), "SMITH");
  q.where = Condition::Leaf("last_name", Op::kIn, Value::array({"ADAMS", "brown"}));
  q.order_by = {{"last_name", false}};
  EXPECT_EQ(names(), "adams,Brown");
  q.where = Condition::Leaf("last_name", Op::kLike, "sMiTh%");
  EXPECT_EQ(names(), "SMITH,smithers");
  q.where = Condition::Leaf("last_name", Op::kGe, "C");
  EXPECT_EQ(names(), "carter,Mail,SMITH,smithers");
  q.where = Condition::Leaf("last_name", Op::kNe, "smith");
  q.order_by = {{"last_name", true}};
  EXPECT_EQ(names(), "smithers,Mail,carter,Brown,adams");
  Query mail;
  mail.entity = "Email";
  mail.select = {"email"};
  mail.where = Condition::Leaf("email", Op::kEq, "ann@example.org");
  EXPECT_EQ(txn->Select(mail).value().size(), 1u);

  // Through the index of lowered last names, as the store asks.
  q.where = Condition::Leaf("last_name", Op::kEq, "smith");
  q.order_by.clear();
  auto st = internal::BuildSelect(*store_->catalog(), q, internal::Dialect::kPostgres).value();
  auto plain = conn();
  ASSERT_TRUE(plain->Exec("SET enable_seqscan = off").ok());
  std::vector<Value> plan;
  const std::vector<std::string> keys = {"step"};
  ASSERT_TRUE(plain->Run("EXPLAIN " + st.sql, st.binds, &keys, nullptr, &plan).ok());
  std::string steps;
  for (const Value& step : plan) steps += step["step"].get<std::string>() + "\n";
  EXPECT_NE(steps.find("idx_civicrm_contact_lower_last_name"), std::string::npos) << steps;
}

TEST_F(SqliteStoreTest, Migration15IndexesAnOptionalUniqueColumnOnlyWhereSetOnPostgres) {
  if (!OnPostgres()) GTEST_SKIP() << "PostgreSQL's own indexes";
  auto conn = [&] { return postgres::PgConnection::Open(options_.database_url).value(); };
  auto definition = [&] {
    std::vector<Value> rows;
    const std::vector<std::string> keys = {"def"};
    EXPECT_TRUE(conn()->Run("SELECT indexdef FROM pg_indexes WHERE indexname = "
                            "'civicrm_contact_external_identifier_key'", {}, &keys, nullptr, &rows).ok());
    return rows.size() == 1 ? rows[0]["def"].get<std::string>() : "(" + std::to_string(rows.size()) + " rows)";
  };
  auto insert = [&](Transaction& txn, const char* external) {
    return txn.Insert("Contact", {{"contact_type", "Individual"}, {"external_identifier", external}});
  };
  {
    auto txn = store_->Begin(true).value();
    ASSERT_TRUE(insert(*txn, "X1").ok());
    ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  // The database as it was before migration 15: a UNIQUE constraint.
  store_.reset();
  for (const char* ddl :
       {"DROP INDEX civicrm_contact_external_identifier_key",
        "ALTER TABLE civicrm_contact ADD CONSTRAINT civicrm_contact_external_identifier_key "
        "UNIQUE (external_identifier)",
        "DELETE FROM kith_schema_version WHERE version >= 15"}) {
    ASSERT_TRUE(conn()->Exec(ddl).ok()) << ddl;
  }
  EXPECT_EQ(definition().find("WHERE"), std::string::npos);
  ReopenStore();
  EXPECT_NE(definition().find("UNIQUE INDEX civicrm_contact_external_identifier_key ON "
                                      "public.civicrm_contact USING btree (external_identifier) "
                                      "WHERE (external_identifier IS NOT NULL)"),
            std::string::npos)
      << definition();
  // The same rows refused (case aside, as before), contacts without one kept.
  auto txn = store_->Begin(true).value();
  auto dup = insert(*txn, "x1");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  txn = store_->Begin(true).value();
  ASSERT_TRUE(txn->Insert("Contact", {{"contact_type", "Individual"}}).ok());
  ASSERT_TRUE(insert(*txn, "X2").ok());
  ASSERT_TRUE(txn->Commit().ok());
  Query q;
  q.entity = "Contact";
  q.select = {"id"};
  q.where = Condition::Leaf("external_identifier", Op::kIsNull, nullptr);
  EXPECT_EQ(store_->Begin(false).value()->Count(q).value(), 2);
}

TEST_F(SqliteStoreTest, RegexpAndContains) {
  auto txn = store_->Begin(true).value();
  InsertContact(*txn, "Smithson");
  InsertContact(*txn, "Jones");
  Query q;
  q.entity = "Contact";
  q.select = {"last_name"};
  q.where = Condition::Leaf("last_name", Op::kRegexp, "^smi");
  auto rows = txn->Select(q).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["last_name"], "Smithson");
  q.where = Condition::Leaf("last_name", Op::kContains, "one");
  EXPECT_EQ(txn->Select(q).value()[0]["last_name"], "Jones");
}

TEST_F(SqliteStoreTest, ExplicitJoinUnderItsAliasWithPathConditions) {
  auto txn = store_->Begin(true).value();
  int64_t a = InsertContact(*txn, "Joined");
  int64_t b = InsertContact(*txn, "Joined");
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", a}, {"email", "a1@x.org"}, {"location_type_id", 2}}).ok());
  ASSERT_TRUE(txn->Insert("Email", {{"contact_id", a}, {"email", "a2@x.org"}, {"location_type_id", 1}}).ok());
  Query q;
  q.entity = "Contact";
  q.select = {"id", "e.email", "e.location_type_id:name"};
  q.joins.push_back({"Email", "e", false,
                     Condition::And({Condition::Compare("e.contact_id", Op::kEq, "id"),
                                     Condition::Leaf("e.location_type_id", Op::kEq, 2)})});
  q.where = Condition::Leaf("last_name", Op::kEq, "Joined");
  q.order_by = {{"id", false}};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);  // LEFT: b stays, with nulls
  EXPECT_EQ((*rows)[0]["e.email"], "a1@x.org");
  EXPECT_EQ((*rows)[0]["e.location_type_id:name"], "Work");
  EXPECT_EQ((*rows)[1]["id"], b);
  EXPECT_TRUE((*rows)[1]["e.email"].is_null());
  q.joins[0].required = true;  // INNER: b goes
  EXPECT_EQ(txn->Select(q).value().size(), 1u);
  q.joins[0].alias = "x; DROP TABLE civicrm_contact";
  EXPECT_EQ(txn->Select(q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, GroupByWithCounts) {
  auto txn = store_->Begin(true).value();
  InsertContact(*txn, "Same");
  InsertContact(*txn, "Same");
  InsertContact(*txn, "Other");
  Query q;
  q.entity = "Contact";
  q.select = {"last_name", "COUNT(id)"};
  q.group_by = {"last_name"};
  q.order_by = {{"COUNT(id)", true}};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0]["last_name"], "Same");
  EXPECT_EQ((*rows)[0]["COUNT(id)"], 2);
  EXPECT_EQ(txn->Count(q).value(), 2);  // the number of groups
  q.select = {"SLEEP(id)"};
  EXPECT_EQ(txn->Select(q).status().code(), absl::StatusCode::kInvalidArgument);
}

// Savepoints (extensions: a failed kith.api call inside a request).
TEST_F(SqliteStoreTest, SavepointsUndoOnlyTheWorkSinceTheirMark) {
  auto txn = store_->Begin(true).value();
  InsertContact(*txn, "Kept");
  ASSERT_TRUE(txn->Savepoint().ok());
  InsertContact(*txn, "Undone");
  ASSERT_TRUE(txn->Savepoint().ok());
  InsertContact(*txn, "Inner");
  ASSERT_TRUE(txn->ReleaseSavepoint().ok());  // Inner joins the outer mark's work
  ASSERT_TRUE(txn->RollbackToSavepoint().ok());
  EXPECT_EQ(txn->RollbackToSavepoint().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(txn->Savepoint().ok());
  InsertContact(*txn, "Released");
  ASSERT_TRUE(txn->ReleaseSavepoint().ok());
  ASSERT_TRUE(txn->Commit().ok());
  auto read = store_->Begin(false).value();
  Query q;
  q.entity = "Contact";
  q.select = {"last_name"};
  q.where = Condition::Leaf("last_name", Op::kIn, Value{"Kept", "Undone", "Inner", "Released"});
  q.order_by = {{"id", false}};
  auto rows = read->Select(q).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["last_name"], "Kept");
  EXPECT_EQ(rows[1]["last_name"], "Released");
}

// RelationshipCache (a view): each relationship from both sides, with the
// type's names as the near and far contact hold them; always current.
TEST_F(SqliteStoreTest, RelationshipCacheShowsEachRelationshipFromBothSides) {
  auto txn = store_->Begin(true).value();
  int64_t a = InsertContact(*txn, "Near");
  int64_t b = InsertContact(*txn, "Far");
  auto rel = txn->Insert("Relationship", {{"contact_id_a", a}, {"contact_id_b", b},
                                          {"relationship_type_id", 1}, {"start_date", "2020-01-02"}});
  ASSERT_TRUE(rel.ok()) << rel.status();
  Query q;
  q.entity = "RelationshipCache";
  q.select = {"id", "orientation", "near_contact_id", "near_relation", "far_contact_id.last_name",
              "far_relation", "is_active", "start_date"};
  q.where = Condition::Leaf("relationship_id", Op::kEq, *rel);
  q.order_by = {{"orientation", false}};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0]["orientation"], "a_b");
  EXPECT_EQ((*rows)[0]["near_contact_id"], a);
  EXPECT_EQ((*rows)[0]["near_relation"], "Child of");
  EXPECT_EQ((*rows)[0]["far_contact_id.last_name"], "Far");
  EXPECT_EQ((*rows)[0]["far_relation"], "Parent of");
  EXPECT_EQ((*rows)[0]["start_date"], "2020-01-02");
  EXPECT_EQ((*rows)[1]["orientation"], "b_a");
  EXPECT_EQ((*rows)[1]["near_contact_id"], b);
  EXPECT_EQ((*rows)[1]["near_relation"], "Parent of");
  EXPECT_EQ((*rows)[1]["far_contact_id.last_name"], "Near");
  EXPECT_NE((*rows)[0]["id"], (*rows)[1]["id"]);
  ASSERT_TRUE(txn->Update("Relationship", *rel, {{"is_active", 0}}).ok());
  Query active = q;
  active.where = Condition::And({Condition::Leaf("near_contact_id", Op::kEq, b),
                                 Condition::Leaf("is_active", Op::kEq, 1)});
  EXPECT_EQ(txn->Count(active).value(), 0);
  ASSERT_TRUE(txn->Delete("Relationship", *rel).ok());
  EXPECT_EQ(txn->Count(q).value(), 0);
  // Rows it derives cannot be written.
  EXPECT_FALSE(txn->Insert("RelationshipCache", {{"relationship_id", 1}}).ok());
}

// Migration 5 on a database of version 4: the view is created and the
// group's smart group cache columns are added (a new database has them from
// its CREATE TABLE and is left as it is).
TEST_F(SqliteStoreTest, MigrationFiveUpgradesAVersionFourDatabase) {
  KITH_SQLITE_ONLY();
  store_.reset();
  {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    for (const char* column : {"where_clause", "select_tables", "where_tables", "cache_date",
                               "cache_fill_took", "refresh_date"}) {
      ASSERT_TRUE(conn->Exec(std::string("ALTER TABLE civicrm_group DROP COLUMN ") + column).ok());
    }
    ASSERT_TRUE(conn->Exec("DROP VIEW civicrm_relationship_cache").ok());
    ASSERT_TRUE(conn->Exec("DELETE FROM kith_schema_version WHERE version >= 5").ok());
    ASSERT_TRUE(sqlite::UndoMigration10(*conn).ok());
    ASSERT_TRUE(sqlite::UndoMigration9(*conn).ok());
  }
  auto reopened = OpenStore(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  auto txn = store_->Begin(true).value();
  auto group = txn->Insert("Group", {{"name", "g"}, {"title", "G"}});
  ASSERT_TRUE(group.ok()) << group.status();
  Query q;
  q.entity = "Group";
  q.select = {"where_clause", "cache_date", "cache_fill_took"};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_TRUE((*rows)[0]["cache_date"].is_null());
  Query cache;
  cache.entity = "RelationshipCache";
  cache.select = {"id"};
  EXPECT_TRUE(txn->Select(cache).ok());
  // Opening again changes nothing.
  txn.reset();
  store_.reset();
  auto again = OpenStore(options_);
  EXPECT_TRUE(again.ok()) << again.status();
}

// Migration 12 rewrites a tag's used_for stored \x01-padded (as kith stored
// the tags it created) in CiviCRM's comma-separated form; others stay.
TEST_F(SqliteStoreTest, MigrationTwelveStoresTagUsedForCommaSeparated) {
  KITH_SQLITE_ONLY();
  store_.reset();
  {
    auto conn = sqlite::SqliteConnection::Open(options_.sqlite_path, 1000).value();
    ASSERT_TRUE(conn->Exec("UPDATE civicrm_tag SET used_for = char(1) || 'civicrm_contact' || char(1) || "
                           "'civicrm_activity' || char(1) WHERE id = 1").ok());
    ASSERT_TRUE(conn->Exec("DELETE FROM kith_schema_version WHERE version >= 12").ok());
  }
  auto reopened = OpenStore(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  auto txn = store_->Begin(false).value();
  Query q;
  q.entity = "Tag";
  q.select = {"id", "used_for"};
  q.where = Condition::Leaf("id", Op::kLe, 2);
  q.order_by = {{"id"}};
  auto rows = txn->Select(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0]["used_for"], "civicrm_contact,civicrm_activity");
  EXPECT_EQ((*rows)[1]["used_for"], "civicrm_contact");
}

}  // namespace
}  // namespace kith::store
