// Store: the only door to persistent data. Implementations (SQLite, the
// embedded default, and PostgreSQL) turn schema-described rows and Queries into SQL; nothing
// outside store/ speaks SQL.
//
// Rows are Value objects keyed by column name (writes) or by selected path
// (reads), with typed values: integers, doubles, strings, null. Booleans are
// written as true/false or 0/1 and read back as 0/1 integers.
//
// Thread-safety: a Store is shared by all request threads; each Transaction
// belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/row_sink.h"
#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/query.h"

namespace kith::store {

// One unit of work: everything done through it becomes visible atomically
// on Commit(), or not at all (destroying an uncommitted Transaction rolls it
// back).
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Inserts a row of `entity` (columns not given take their SQL defaults) and
  // returns its id. Errors: kAlreadyExists for a unique-key clash (details
  // name the field), kInvalidArgument for an unknown column or a broken
  // foreign key, kInternal for storage faults.
  virtual StatusOr<int64_t> Insert(std::string_view entity, const Value& row) = 0;

  // Sets `changes` on the row `id`. kNotFound when no such row; otherwise as
  // Insert.
  virtual Status Update(std::string_view entity, int64_t id, const Value& changes) = 0;

  // Deletes the row `id` (for real; the trash is an API rule). kNotFound
  // when no such row.
  virtual Status Delete(std::string_view entity, int64_t id) = 0;

  // Rows matching `query`, keyed by its select paths in order.
  // kInvalidArgument for a path the schema does not know.
  virtual StatusOr<std::vector<Value>> Select(const Query& query) = 0;

  // The rows of Select(query) handed to `rows` one at a time as they are
  // read, their cells in select order, with no Value per row where the
  // store can (the default reads them with Select).
  virtual Status SelectEach(const Query& query, CellRows& rows);

  // The number of rows matching `query` (its select, limit and order ignored).
  virtual StatusOr<int64_t> Count(const Query& query) = 0;

  // Makes the work durable. After an error nothing of it is kept.
  virtual Status Commit() = 0;

  // Savepoints: nested units of work inside this transaction, so that one
  // failed part of a call leaves nothing behind while the call goes on (an
  // extension that catches a failed kith.api call). Savepoint() marks the
  // current state; ReleaseSavepoint() keeps the work done since the innermost
  // mark and drops the mark; RollbackToSavepoint() undoes that work and drops
  // the mark. Marks nest. A store without them answers kUnimplemented.
  virtual Status Savepoint() { return absl::UnimplementedError("no savepoints"); }
  virtual Status ReleaseSavepoint() { return absl::UnimplementedError("no savepoints"); }
  virtual Status RollbackToSavepoint() { return absl::UnimplementedError("no savepoints"); }

  // --- Bulk writes ---
  // From now on Insert may queue its row and return the id it will have,
  // while the store writes queued rows on a thread of its own (a bulk
  // import then spends its time in kith's rules and in the database at
  // once). Every other call first waits for the queued rows, so reads see
  // them. A queued row that fails stops the rest: Insert, every other call
  // and Commit then return that failure, its message prefixed with the
  // label set by LabelInserts when the row was queued. Stores without such a
  // thread insert at once, as before. Write transactions only.
  virtual Status PipelineInserts() { return Status(); }
  virtual void LabelInserts(std::string_view /*label*/) {}
  // Waits for the queued rows: the first one's failure, if one failed.
  virtual Status WaitForInserts() { return Status(); }

  // --- Schema that changes at run time (custom data) ---

  // The entity descriptions this transaction works with: the store's
  // snapshot when it began, or what ReloadCatalog() derived since. Every
  // read and write of the transaction resolves names through it. The
  // snapshot stays valid while the pointer is held.
  virtual std::shared_ptr<const schema::Catalog> catalog() const = 0;

  // Re-derives catalog() from the CustomGroup/CustomField rows as this
  // transaction sees them (schema::DeriveCatalog). Commit() publishes it as
  // the store's catalog; rolled back, it is dropped with the rest.
  virtual Status ReloadCatalog() = 0;

  // DDL, done inside this (write) transaction. Entity and field names are
  // looked up in catalog(), so only schema names reach SQL; kInvalidArgument
  // when they are unknown, kFailedPrecondition in a read transaction.
  // CreateTable: the table of `entity` with its indexes. AddColumn: the
  // column `field` of `entity` (already in the catalog, not yet in the
  // table) with the indexes that cover it. DropColumn / DropTable: while the
  // catalog still has them (drop first, then delete the rows and reload).
  virtual Status CreateTable(std::string_view entity) = 0;
  virtual Status AddColumn(std::string_view entity, std::string_view field) = 0;
  virtual Status DropColumn(std::string_view entity, std::string_view field) = 0;
  virtual Status DropTable(std::string_view entity) = 0;
  // Makes the indexes on column `field` of `entity` those the catalog
  // describes now: creates each described index covering it that is
  // missing, drops its single-column index when no longer described (a
  // custom field whose is_searchable changed).
  virtual Status SyncIndexes(std::string_view entity, std::string_view field) = 0;

  // --- The change log (README "Following changes") ---
  // Each Insert, Update and Delete of a logged entity (schema
  // Entity::change_logged) adds a ChangeLog row in this same transaction:
  // entity, id, action, the author set here, the time and the fields
  // changed with their old and new values; a delete also logs what the
  // database's ON DELETE rules remove or clear with it. Rolled back with
  // the rest. The author is the contact id of who makes the change (0: none,
  // the system).
  virtual void SetChangeAuthor(int64_t /*contact_id*/) {}

  // --- Change counts, for what callers keep in memory across transactions ---
  // A number the database counts up with every committed change to the rows
  // of `entity`, whoever made it (this process or another), as this
  // transaction's snapshot sees it: while it is unchanged, so are the rows.
  // nullopt when the store does not count `entity`'s changes (it counts
  // User's), or when this transaction has written to them itself.
  virtual std::optional<int64_t> ChangeCount(std::string_view /*entity*/) const {
    return std::nullopt;
  }
};

// What a pipelined read (Store::BeginPipelinedRead) found when it checked
// what it had assumed. Shared by the one who redoes the work and the
// transaction, which may outlive that work's answer (a streamed one).
struct ReadAssumptions {
  // The catalog or a change count was not the one assumed, or the work read
  // twice (see BeginPipelinedRead): the work done with the transaction must
  // be done again, its answer dropped.
  bool changed = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // Starts a transaction. `write` ones are serialised with each other; read
  // ones see a consistent snapshot. kUnavailable when the database is busy
  // beyond the store's timeout.
  virtual StatusOr<std::unique_ptr<Transaction>> Begin(bool write) = 0;

  // A read for work that reads once and answers whole, started without a round trip:
  // its catalog() and ChangeCount()s (users', options') are the ones this store last
  // saw, assumed current, and the read of the real ones goes to the database with its
  // first statement, which may run alone (PostgreSQL: no BEGIN, one wait, one snapshot).
  // When they differ, when a second statement comes, or when the transaction ends
  // before any statement ran and a check finds them different, `found->changed` is
  // set and that statement fails (kAborted): whoever used the transaction
  // must drop what it made with it and do the work again with Begin(false).
  // Nothing written depends on it: a read transaction cannot write. The
  // default (SQLite, whose reads cost no round trip) is Begin(false).
  virtual StatusOr<std::unique_ptr<Transaction>> BeginPipelinedRead(
      std::shared_ptr<ReadAssumptions> found) {
    (void)found;
    return Begin(false);
  }

  // The entity descriptions this store serves now: the built-in ones plus
  // those derived from the committed custom groups and fields (rebuilt from
  // the database at open). A snapshot: replaced, never changed, when a
  // transaction that reloaded its catalog commits.
  virtual std::shared_ptr<const schema::Catalog> catalog() const = 0;

  // Whether the database answers, as last found: cheap enough for every
  // /healthz (no round trip). PostgreSQL: a probe queries it every second
  // on a connection of its own, from the first call on. SQLite, a file
  // kith opened: true.
  virtual bool Answering() { return true; }
  // Writes a consistent copy of the whole database to the new file `path`:
  // the database as one read transaction sees it (every write committed
  // before the call, none that commits after), while writers go on. The
  // copy is then checked (CheckDatabaseFile). kAlreadyExists when `path`
  // exists; kUnimplemented for a store that cannot (PostgreSQL: pg_dump);
  // kUnavailable for an I/O error; kDataLoss when the copy fails its check.
  // Nothing is left at `path` after an error.
  virtual Status Backup(const std::string& /*path*/) {
    return absl::UnimplementedError("this store cannot copy itself to a file");
  }
};

// Checks the SQLite database file `path` without changing it (SQLite's
// integrity check: every page, index and constraint). kDataLoss naming the
// first problems when it fails; kNotFound when there is no such file.
Status CheckDatabaseFile(const std::string& path);

struct StoreOptions {
  std::string sqlite_path;   // the database file (created when missing)
  int busy_timeout_ms = 10000;
  // When set, the store is this PostgreSQL database instead (a libpq URI,
  // postgresql://USER@HOST:PORT/DB; the password from it, PGPASSWORD or
  // ~/.pgpass), shared by every kith server pointed at it.
  std::string database_url = {};
  int pool_size = 16;         // PostgreSQL connections per store, at most
  int pool_wait_ms = 10000;   // how long Begin waits for one (then kUnavailable)
  // true: a commit returns once it is on disk (SQLite synchronous=FULL), so
  // an acknowledged write survives an OS crash or power loss. false
  // (synchronous=NORMAL): faster commits, but such a crash may drop the last
  // acknowledged ones (the database stays consistent).
  bool durable_commits = true;
  // false: writes add nothing to the change log (kith.toml change_log; for
  // measuring what it costs, or a store nobody follows).
  bool change_log = true;
};

// Opens (creating and migrating when needed) the store described by
// `options`. Errors: kUnavailable when the database cannot be reached,
// kFailedPrecondition when its schema is newer than this binary.
StatusOr<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

// --- Conflicts between concurrent transactions ---
// A store that runs writing transactions side by side (PostgreSQL) may
// refuse one that conflicts with another (a serialization failure, a
// deadlock): nothing of it is kept, and the whole unit of work, from Begin
// on, may simply be run again. SQLite, which runs one writer at a time,
// never does.
bool IsRetryable(const Status& status);
// Such a refusal, as a store reports it (kAborted).
Status RetryableConflict(std::string_view message);

// Runs `attempt` (a whole unit of work: Begin, the work, Commit) and runs it
// again while it fails with a retryable conflict, a few times at most,
// waiting a little longer each time. The last attempt's status.
// An attempt after a conflict takes its turn: its write transactions begin
// one at a time with every other such attempt, on every server of the
// database (PostgreSQL), so that writers contending for one row commit one
// after the other instead of meeting again until their attempts run out.
Status RunWithRetries(const std::function<Status()>& attempt);

// Whether the unit of work running on this thread under RunWithRetries is an
// attempt after a conflict (one that takes its turn: see above).
bool RetryingAfterConflict();

// A write transaction of `store` doing `work`, committed; run again whole
// (RunWithRetries) when refused for a conflict with a concurrent one.
Status RunWriteTransaction(Store& store, const std::function<Status(Transaction&)>& work);

}  // namespace kith::store
