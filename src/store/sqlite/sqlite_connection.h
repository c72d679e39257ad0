// SqliteConnection: one sqlite3 handle with a cache of prepared statements.
// Not thread-safe: a connection is used by one transaction at a time.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <unordered_map>
#include <vector>

#include "base/row_sink.h"
#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"

namespace kith::store::sqlite {

class SqliteConnection {
 public:
  // Opens `path` (creating it), in WAL mode with foreign keys on; commits
  // synced to disk (synchronous=FULL) when `durable`, else NORMAL (see
  // StoreOptions::durable_commits).
  static StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                          int busy_timeout_ms,
                                                          bool durable = true);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements without parameters (DDL, ...), parsed anew
  // each time.
  Status Exec(const std::string& sql);

  // Runs one statement without parameters that is run again and again
  // (BEGIN, COMMIT, ROLLBACK): prepared once and kept apart from Run's
  // statements, found by comparing its text with the few kept (every
  // transaction runs two: a hash of the text and a std::string made for
  // the look-up cost more than the step of BEGIN itself).
  Status Command(std::string_view sql);

  // Runs `sql` with `binds`; each result row is appended to `rows` as an
  // object keyed by `keys` (typed by `types` when given). `rows` may be null
  // for statements without results. `keys_distinct`: the caller knows that
  // no key repeats (else Run checks).
  Status Run(const std::string& sql, const std::vector<Value>& binds,
             const std::vector<std::string>* keys, const std::vector<schema::FieldType>* types,
             std::vector<Value>* rows, bool keys_distinct = false);

  // Runs the select `sql` with `binds`, handing each row's first `columns`
  // cells to `rows` (typed by `types` as Run types them), straight from the
  // statement.
  Status Each(const std::string& sql, const std::vector<Value>& binds,
              const std::vector<schema::FieldType>* types, size_t columns, CellRows& rows);

  // Runs a statement that returns one integer (COUNT(*)).
  StatusOr<int64_t> RunScalar(const std::string& sql, const std::vector<Value>& binds);
  // Runs a statement that returns one row of integers: its first
  // `out.size()` columns, a NULL or non-integer read as nullopt.
  Status RunIntegers(const std::string& sql, const std::vector<Value>& binds,
                     std::span<std::optional<int64_t>> out);

  // In a transaction just begun: starts its read snapshot and reads `sql`'s
  // one row of integers into `out` as RunIntegers does, unless this
  // connection read the same statement in an earlier snapshot of the same
  // content; then `out` is that row again. SQLite counts every commit,
  // this connection's and any other connection's or process's, in the
  // connection's data version, so an equal count means nothing changed.
  // For the versions every transaction reads first (a look at the header
  // costs a fraction of the statement). `*ran` (when given): whether the
  // statement was read anew (the database changed, or this is the first).
  Status RunIntegersUnlessUnchanged(const std::string& sql,
                                    std::span<std::optional<int64_t>> out, bool* ran = nullptr);
  // How many times RunIntegersUnlessUnchanged ran its statement (tests).
  int64_t unchanged_reads_run() const { return unchanged_reads_run_; }

  // The store's count of its own writes when this connection last began a
  // read (the store's to keep: WalReadPin tells its writes from others').
  uint64_t own_writes_seen() const { return own_writes_seen_; }
  void set_own_writes_seen(uint64_t writes) { own_writes_seen_ = writes; }

  // Whether the database is in WAL mode (PRAGMA journal_mode).
  bool InWalMode();

  int64_t LastInsertId() const;
  int Changes() const;

  // Copies this connection's database, as one read transaction sees it, to
  // a new database file at `path` (SQLite's online backup, in one step).
  // Call outside a transaction. kUnavailable when it fails.
  Status CopyTo(const std::string& path);

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  StatusOr<sqlite3_stmt*> Prepare(const std::string& sql);
  Status Error(int rc, const std::string& context) const;

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  std::vector<std::pair<std::string, sqlite3_stmt*>> commands_;  // Command's
  // RunIntegersUnlessUnchanged's last read: its statement, the data version
  // it was read at, its row.
  struct UnchangedRead {
    std::string sql;
    unsigned int data_version = 0;
    std::vector<std::optional<int64_t>> row;
  };
  std::optional<UnchangedRead> unchanged_read_;
  int64_t unchanged_reads_run_ = 0;
  uint64_t own_writes_seen_ = 0;
};

}  // namespace kith::store::sqlite
