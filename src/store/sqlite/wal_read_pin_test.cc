// WalReadPin over a real SQLite file: the read transaction it holds, let go
// for writes and when idle, never outside WAL mode; and a store that pins,
// whose WAL still starts over while it reads and writes.
#include "store/sqlite/wal_read_pin.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "store/sqlite/sqlite_store.h"

namespace kith::store::sqlite {
namespace {

using namespace std::chrono_literals;

class WalReadPinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kith-pin-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/pin.db";
    auto conn = SqliteConnection::Open(path_, 0);
    ASSERT_TRUE(conn.ok()) << conn.status();
    writer_ = std::move(*conn);
    ASSERT_TRUE(writer_->Exec("CREATE TABLE t (x TEXT)").ok());
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }
  WalReadPin::Opener Opener() {
    return [this] { return SqliteConnection::Open(path_, 0); };
  }
  // Another process's full checkpoint, which waits for no reader: whether
  // it copied every frame and emptied the WAL.
  bool TruncatingCheckpointCompletes() {
    int log = -1;
    int rc = Checkpoint(SQLITE_CHECKPOINT_TRUNCATE, &log, nullptr);
    return rc == SQLITE_OK && log == 0;
  }
  // A checkpoint by a connection of its own: its result, the frames in the
  // WAL and the frames copied.
  int Checkpoint(int mode, int* log, int* copied) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    // A connection finds WAL mode when it first reads.
    EXPECT_EQ(sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr),
              SQLITE_OK);
    int rc = sqlite3_wal_checkpoint_v2(db, "main", mode, log, copied);
    sqlite3_close(db);
    return rc;
  }
  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteConnection> writer_;
};

TEST_F(WalReadPinTest, HoldsAReadTransactionThatHoldsBackCheckpointsUntilIdle) {
  WalReadPin pin(Opener(), 100ms);
  pin.BeforeRead();
  ASSERT_TRUE(pin.held());
  ASSERT_TRUE(writer_->Exec("INSERT INTO t VALUES ('after the pin')").ok());
  EXPECT_FALSE(TruncatingCheckpointCompletes());
  // Nobody renews it: its own thread lets it go.
  for (int i = 0; i < 100 && pin.held(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(pin.held());
  EXPECT_TRUE(TruncatingCheckpointCompletes());
  // A reader takes it up again.
  pin.BeforeRead();
  EXPECT_TRUE(pin.held());
}

TEST_F(WalReadPinTest, IsLetGoForAWriteAndNotTakenUntilItEnds) {
  WalReadPin pin(Opener(), 10s);
  pin.BeforeRead();
  ASSERT_TRUE(pin.held());
  pin.PauseForWrite();
  EXPECT_FALSE(pin.held());
  pin.BeforeRead();
  pin.AfterChangeSeen(/*own_writes_since=*/true);
  EXPECT_FALSE(pin.held());
  ASSERT_TRUE(writer_->Exec("INSERT INTO t VALUES ('written')").ok());
  EXPECT_TRUE(TruncatingCheckpointCompletes());
  pin.ResumeAfterWrite();
  pin.BeforeRead();
  EXPECT_TRUE(pin.held());
}

TEST_F(WalReadPinTest, IsTakenOnTheNewestSnapshotByTheFirstReaderAfterAWrite) {
  WalReadPin pin(Opener(), 10s);
  pin.BeforeRead();
  ASSERT_TRUE(pin.held());
  pin.PauseForWrite();
  ASSERT_TRUE(writer_->Exec("INSERT INTO t VALUES ('written by the store')").ok());
  pin.ResumeAfterWrite();
  // Readers that see the store's own write leave the pin be.
  pin.AfterChangeSeen(/*own_writes_since=*/true);
  EXPECT_FALSE(pin.held());
  pin.BeforeRead();
  EXPECT_TRUE(pin.held());
  // Its snapshot has the write: a checkpoint copies every frame (the WAL
  // cannot start over while it is held).
  int log = -1, copied = -1;
  EXPECT_EQ(Checkpoint(SQLITE_CHECKPOINT_PASSIVE, &log, &copied), SQLITE_OK);
  EXPECT_GT(log, 0);
  EXPECT_EQ(copied, log);
  // Held, a reader does not take it again: a later commit stays uncopied.
  ASSERT_TRUE(writer_->Exec("INSERT INTO t VALUES ('from elsewhere')").ok());
  pin.BeforeRead();
  EXPECT_FALSE(TruncatingCheckpointCompletes());
}

TEST_F(WalReadPinTest, RestsAfterAnotherProcesssCommit) {
  WalReadPin pin(Opener(), 200ms);
  pin.BeforeRead();
  ASSERT_TRUE(pin.held());
  ASSERT_TRUE(writer_->Exec("INSERT INTO t VALUES ('from elsewhere')").ok());
  pin.AfterChangeSeen(/*own_writes_since=*/false);
  EXPECT_FALSE(pin.held());
  pin.BeforeRead();
  EXPECT_FALSE(pin.held());
  EXPECT_TRUE(TruncatingCheckpointCompletes());
  // The rest over, a reader takes it again.
  bool taken = false;
  for (int i = 0; i < 100 && !taken; ++i) {
    std::this_thread::sleep_for(10ms);
    pin.BeforeRead();
    taken = pin.held();
  }
  EXPECT_TRUE(taken);
}

TEST_F(WalReadPinTest, StaysOffOutsideWalMode) {
  writer_.reset();
  // As a store's connection would be where WAL mode cannot be had.
  WalReadPin pin(
      [this]() -> StatusOr<std::unique_ptr<SqliteConnection>> {
        auto conn = SqliteConnection::Open(path_, 0);
        if (conn.ok()) KITH_RETURN_IF_ERROR((*conn)->Exec("PRAGMA journal_mode=DELETE"));
        return conn;
      },
      10s);
  pin.BeforeRead();
  EXPECT_FALSE(pin.held());
  // A held read lock in rollback mode would make this write fail (busy).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "INSERT INTO t VALUES ('not blocked')", nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// A store of its own on a fresh SQLite file.
class SqliteStoreReadPinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kith-pinstore-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.sqlite_path = dir_ + "/kith.db";
    options_.durable_commits = false;
    auto store = OpenSqliteStore(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  uintmax_t WalSize() {
    std::error_code ec;
    const auto size = std::filesystem::file_size(options_.sqlite_path + "-wal", ec);
    EXPECT_FALSE(ec) << ec.message();
    return size;
  }
  std::string dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

// A store reading between its writes pins again after each; its WAL must
// still start over (the pin let go for each write), so it stays near
// SQLite's checkpoint size however much is written.
TEST_F(SqliteStoreReadPinTest, TheWalStartsOverWhileTheStoreReadsBetweenWrites) {
  {
    const std::string filler(3000, 'x');
    int64_t last = 0;
    for (int batch = 0; batch < 60; ++batch) {
      auto write = store_->Begin(/*write=*/true);
      ASSERT_TRUE(write.ok()) << write.status();
      for (int i = 0; i < 40; ++i) {
        auto id = (*write)->Insert("Contact", {{"contact_type", "Individual"},
                                               {"legal_name", filler},
                                               {"nick_name", std::to_string(batch * 40 + i)}});
        ASSERT_TRUE(id.ok()) << id.status();
        last = *id;
      }
      ASSERT_TRUE((*write)->Commit().ok());
      auto read = store_->Begin(/*write=*/false);
      ASSERT_TRUE(read.ok()) << read.status();
      Query q;
      q.entity = "Contact";
      q.select = {"nick_name"};
      q.where = Condition::Leaf("id", Op::kEq, last);
      auto rows = (*read)->Select(q);
      ASSERT_TRUE(rows.ok()) << rows.status();
      ASSERT_EQ(rows->size(), 1u);  // the read sees the commit before it
      EXPECT_EQ((*rows)[0]["nick_name"], std::to_string(batch * 40 + 39));
    }
    // Some 2,400 rows of 3 KB: ~10 MB written, more than twice the
    // checkpoint's 1,000 pages (4 MB).
    EXPECT_LT(WalSize(), 6u << 20) << "the WAL did not start over";
  }
}

// Another process writing while this store reads without pause: the
// store's readers see commits not its own and let the pin rest, so that
// process's checkpoints still copy the whole WAL back and it starts over
// (a pin renewed instead stays one commit behind: 36 MB for 24 MB written).
TEST_F(SqliteStoreReadPinTest, AnotherWritersWalStartsOverWhileTheStoreReadsWithoutPause) {
  {
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::thread reader([&] {
      while (!done.load()) {
        auto read = store_->Begin(/*write=*/false);
        ASSERT_TRUE(read.ok()) << read.status();
        Query q;
        q.entity = "Contact";
        q.select = {"id"};
        q.where = Condition::Leaf("id", Op::kEq, 1);
        ASSERT_TRUE((*read)->Select(q).ok());
        ++reads;
      }
    });
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options_.sqlite_path.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA synchronous=OFF; CREATE TABLE other (x TEXT)", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO other VALUES (?)", -1, &insert, nullptr),
              SQLITE_OK);
    const std::string filler(3000, 'y');
    // ~24 MB in 200 commits, each a few milliseconds apart.
    for (int batch = 0; batch < 200; ++batch) {
      ASSERT_EQ(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
      for (int i = 0; i < 40; ++i) {
        sqlite3_bind_text(insert, 1, filler.data(), static_cast<int>(filler.size()),
                          SQLITE_STATIC);
        ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
        sqlite3_reset(insert);
      }
      ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
      std::this_thread::sleep_for(2ms);
    }
    sqlite3_finalize(insert);
    sqlite3_close(db);
    done = true;
    reader.join();
    EXPECT_GT(reads.load(), 100);
    EXPECT_LT(WalSize(), 12u << 20) << "the WAL did not start over";
  }
}

}  // namespace
}  // namespace kith::store::sqlite
