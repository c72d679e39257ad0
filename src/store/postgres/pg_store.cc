#include "store/postgres/pg_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <thread>
#include <vector>

#include "base/error_details.h"
#include "base/strings.h"
#include "schema/sync_entities.h"
#include "store/custom_catalog.h"
#include "store/internal/sql_transaction.h"
#include "store/internal/migration_runner.h"
#include "store/internal/select_shapes.h"
#include "store/internal/sql_builder.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_insert_batches.h"
#include "store/postgres/pg_planner_statistics.h"
#include "store/postgres/pg_record.h"

namespace kith::store::postgres {
namespace {

using internal::Dialect;

constexpr Dialect kDialect = Dialect::kPostgres;

using internal::kChangeCounters;
using internal::kCountedEntities;

// The advisory lock a migrating server holds, so that servers starting
// together on an empty database migrate it once ("kith" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(1802073192)";

// The lock under which a committing transaction takes its change log ids
// and commits ("kith" + 1). Ids come from a sequence, handed out before
// commit: without it, a transaction that took id 8 could commit before one
// holding id 7, and a reader that saw 8 and asks for "id > 8" would never
// see 7. Under it, ids are taken and made visible one transaction at a
// time, so a reader that sees an id sees every smaller one. Held only from
// the change rows' insert to the end of the commit (the rows are kept in
// memory until then), so writers still run side by side before that;
// transactions that log nothing never take it.
constexpr const char* kChangeLogLock = "SELECT pg_advisory_xact_lock(1802073193)";

// The turn of a write attempt after a conflict (store::RunWithRetries;
// "kith" + 2): a lock of the connection's session, taken before BEGIN (so
// that the snapshot is taken once the turn came) and given back after the
// transaction ends. Such attempts then run one at a time across every server,
// and each only meets first attempts, instead of all of them meeting each
// other again until their attempts run out. Waited for as long as a
// connection from the pool is (StoreOptions::pool_wait_ms), then "database busy".
// A first attempt shares the turn for its transaction (taken in the read
// that fixes its snapshot, WriteVersionsSql): an attempt holding the turn
// then runs alone, and a first attempt that waited for it meets that
// attempt's change and takes the turn itself, so that contending writers
// each commit within two attempts however many first attempts keep coming.
constexpr int64_t kWritersTurnLock = 1802073194;

// Whether this thread holds the turn through one of its transactions, or
// shares it: a second write transaction it begins meanwhile neither waits
// for it nor shares it (it would wait for a turn its own thread keeps).
thread_local bool thread_holds_turn = false;
thread_local int thread_shares_turn = 0;

// A first write attempt's read of the versions, sharing the writers' turn
// until its transaction ends.
const std::string& WriteVersionsSql() {
  static const std::string sql = internal::ReadVersionsSql() +
                                 " CROSS JOIN (SELECT pg_advisory_xact_lock_shared(" +
                                 std::to_string(kWritersTurnLock) + ")) AS turn";
  return sql;
}

enum class Kind {
  kRead,     // REPEATABLE READ READ ONLY: one snapshot
  kWrite,    // SERIALIZABLE: as if alone
  kMigrate,  // READ COMMITTED under the migration lock: sees what others migrated
};

// BEGIN of each kind of transaction. Reads and writes run in the same
// round trip their first read, which fixes the snapshot: the catalog
// version and the counted entity's change count (ReadVersionsSql).
const char* BeginSql(Kind kind) {
  return kind == Kind::kRead    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
         : kind == Kind::kWrite ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                : "BEGIN ISOLATION LEVEL READ COMMITTED";
}

// A table's columns in the order its row read whole lists them: by
// lowercased name (as PostgreSQL folds the unquoted names kith's SQL uses),
// the field's position and the column's type. Read for a catalog version:
// kith adds or drops columns (custom fields) in a transaction that counts
// the version up; a migration by another server does not, and a row then
// not of its layout forgets the layouts (PgTransaction::Whole).
struct TableLayout {
  int64_t catalog_version = -1;
  size_t fields = 0;
  std::unordered_map<std::string, std::pair<int, unsigned>> columns;
};

// A select of many stored columns of its root table, read as that table's
// row whole ("SELECT t0 FROM ...": one result column) and split into the
// same cells (PgConnection::RecordColumns).
struct RecordPlan {
  std::shared_ptr<const internal::SqlStatement> statement;  // held: its address keys the plan
  std::shared_ptr<const TableLayout> layout;
  std::string sql;          // the statement selecting the row whole
  size_t select_end = 0;    // where its select list ends
  PgConnection::RecordColumns columns;
};

// Selects of fewer columns are read as they are: a row read whole costs the
// server an output function call for each of its table's columns.
constexpr size_t kRecordMinColumns = 12;

class PgStoreImpl;

class PgTransaction final : public internal::SqlTransaction {
 public:
  // `catalog`: the store's, which reflects the catalog version `version`;
  // `fresh`: `conn` was opened for this transaction.
  PgTransaction(PgStoreImpl* store, std::unique_ptr<PgConnection> conn, bool fresh, Kind kind,
                std::shared_ptr<const schema::Catalog> catalog, int64_t version)
      : store_(store),
        conn_(std::move(conn)),
        fresh_(fresh),
        kind_(kind),
        catalog_(std::move(catalog)),
        catalog_version_(version),
        bulk_(kind == Kind::kMigrate) {}  // a failed migration fails whole
  ~PgTransaction() override;

  // Starts the transaction on the server: BEGIN and, in the same round
  // trip, the read that fixes its snapshot (the catalog version and the
  // counted entity's change count), and `then` with `binds` when given
  // (its result in `result`). A pooled connection found broken is
  // replaced once. A pipelined read (Assume) checks there what it assumed.
  Status BeginNow(const std::string* then = nullptr, const std::vector<Value>* binds = nullptr,
                  PgResult* result = nullptr);

  // Makes this read transaction a pipelined one (Store::BeginPipelinedRead):
  // not begun yet, the change counts assumed to be `counts` (in
  // kChangeCounters' order) and the catalog the one it was given; what the
  // check finds goes to `found`.
  void Assume(std::span<const std::optional<int64_t>> counts,
              std::shared_ptr<ReadAssumptions> found) {
    std::copy(counts.begin(), counts.end(), assumed_counts_);
    change_counts_.Set(counts);
    assumptions_ = std::move(found);
  }

  StatusOr<int64_t> Insert(std::string_view entity, const Value& row) override;
  Status Update(std::string_view entity, int64_t id, const Value& changes) override;
  Status Delete(std::string_view entity, int64_t id) override;
  StatusOr<std::vector<Value>> Select(const Query& query) override;
  Status SelectEach(const Query& query, CellRows& rows) override;
  StatusOr<int64_t> Count(const Query& query) override;
  Status Commit() override;
  Status Savepoint() override;
  Status ReleaseSavepoint() override;
  Status RollbackToSavepoint() override;
  // From now on rows are queued and written thousands to one COPY by a
  // thread of their own (InsertBatches), their ids taken ahead from the
  // tables' sequences;
  // everything else first writes the queue. As the contract allows, a
  // failed row then fails the rest. Write transactions only, as on SQLite.
  Status PipelineInserts() override {
    if (!writes()) return absl::FailedPreconditionError("pipelined inserts need a write transaction");
    bulk_ = true;
    batches_ = std::make_unique<InsertBatches>(*conn_);
    return Status();
  }
  void LabelInserts(std::string_view label) override { label_ = label; }
  Status WaitForInserts() override { return Flush(); }
  Status EndPipelinedInserts() override {
    Status flushed = Flush();
    batches_.reset();
    bulk_ = kind_ == Kind::kMigrate;
    return flushed;
  }

  std::shared_ptr<const schema::Catalog> catalog() const override { return catalog_; }
  Status ReloadCatalog() override;

  std::optional<int64_t> ChangeCount(std::string_view entity) const override {
    return change_counts_.Of(entity);
  }
  PgConnection& connection() { return *conn_; }

 private:
  bool writes() const { return kind_ != Kind::kRead; }
  Dialect dialect() const override { return kDialect; }
  Status RunDdl(const std::vector<std::string>& statements) override;
  // Moves the id sequences of the tables given explicit ids past them.
  Status SettleSequences();
  // Writes the queued rows (PipelineInserts), if any; first begins a
  // pipelined read that no statement has begun yet.
  Status Flush() {
    if (!begun_) KITH_RETURN_IF_ERROR(BeginNow());
    return batches_ == nullptr ? Status() : batches_->Flush();
  }
  // `sql` with `binds`, read (`columns`: how many of the result's are its
  // own, -1: all); a
  // pipelined read's first statement runs alone (ReadAlone), or with its
  // BEGIN (one round trip) when work that began with it read again.
  // `plan`: set when the result holds the root table's row whole
  // (RecordPlanFor), to be split by it.
  StatusOr<PgResult> Read(const internal::ShapedSelect& shaped, int* columns,
                          std::shared_ptr<const RecordPlan>* plan);
  // The plan for reading `shaped`'s select as its root table's row whole,
  // or null where that does not pay or cannot be (an expression, a joined
  // column, few columns).
  StatusOr<std::shared_ptr<const RecordPlan>> RecordPlanFor(const internal::ShapedSelect& shaped);
  // `read`, the outcome of splitting rows read whole; one not of its
  // table's layout forgets the store's layouts (ForgetLayouts).
  Status Whole(Status read);
  // A pipelined read's first statement (its work reads once): run
  // outside a transaction (no BEGIN, no COMMIT), the versions joined to it,
  // so that they and its rows come from its one snapshot; checked as
  // BeginNow checks them. Any statement after it refuses (BeginNow).
  // `kept`: that statement as this connection keeps it for a kept shape
  // (made here when null).
  // `sql` (its select list ending at `select_end`; 0: unknown) with
  // `binds`; `owner`: what the connection keeps it for (null: not kept).
  StatusOr<PgResult> ReadAlone(const std::string& sql, size_t select_end,
                               std::shared_ptr<const void> owner, const std::vector<Value>& binds,
                               PgConnection::KeptStatement* kept, int* columns);
  // Whether `versions` (the catalog's, then the change counters') are the
  // ones this pipelined read assumed.
  bool AsAssumed(std::span<const std::optional<int64_t>> versions) const {
    return versions[0].value_or(0) == catalog_version_ &&
           std::equal(versions.begin() + 1, versions.end(), assumed_counts_);
  }
  // Kept until the commit (kChangeLogLock), dropped with a savepoint's work.
  Status StoreChange(internal::ChangeRecord change) override {
    pending_changes_.push_back(std::move(change));
    return Status();
  }
  // Inserts the kept change rows under kChangeLogLock (just before COMMIT).
  Status WriteChanges();
  // Takes the writers' turn (kWritersTurnLock) for a write attempt after a
  // conflict; GiveBackTurn ends it, once the transaction ended.
  Status TakeTurn();
  void GiveBackTurn();

  PgStoreImpl* store_;
  std::unique_ptr<PgConnection> conn_;  // null after a failed reconnect
  bool fresh_;  // conn_ was opened for this transaction (not a pooled one)
  Kind kind_;
  bool begun_ = false;  // BEGIN ran on the server (else nothing to roll back)
  bool holds_turn_ = false;  // TakeTurn took the writers' turn on conn_
  bool shares_turn_ = false;  // BEGIN shared the writers' turn (WriteVersionsSql)
  std::shared_ptr<const schema::Catalog> catalog_;
  int64_t catalog_version_;  // the catalog version catalog_ reflects
  bool catalog_changed_ = false;  // ReloadCatalog() ran: publish on commit
  bool bulk_;  // PipelineInserts(): no savepoint per statement
  bool done_ = false;
  int savepoints_ = 0;  // open marks, named kith_sp_<depth> (never from input)
  internal::ChangeCounts change_counts_;
  // A pipelined read not checked yet: where to say what it assumed wrongly.
  std::shared_ptr<ReadAssumptions> assumptions_;
  std::optional<int64_t> assumed_counts_[internal::kChangeCounterCount];  // Assume's
  // Its one statement ran alone (ReadAlone): where to say that a second one
  // came, which needs the work done again in a transaction.
  std::shared_ptr<ReadAssumptions> read_alone_;
  size_t alone_sql_ = 0;  // the hash of its text (PgStoreImpl::ReadAgainAfter)
  // Tables this transaction inserted rows with explicit ids into (reference
  // data keeps CiviCRM's): their sequences are moved past them before the
  // next insert that takes one, and at commit.
  std::set<std::string> explicit_ids_;
  std::unique_ptr<InsertBatches> batches_;  // PipelineInserts(): rows queued
  std::map<std::string, int64_t> bulk_inserted_;  // PipelineInserts(): rows per table
  std::string label_;                       // LabelInserts()
  std::vector<internal::ChangeRecord> pending_changes_;  // change rows for the commit
  std::vector<size_t> change_marks_;    // pending_changes_.size() at each open savepoint
};

class PgStoreImpl final : public Store {
 public:
  explicit PgStoreImpl(StoreOptions options)
      : options_(std::move(options)), base_(schema::BuiltinCatalog()), catalog_(base_) {}
  ~PgStoreImpl() override {
    {
      std::lock_guard<std::mutex> lock(probe_mutex_);
      stopping_ = true;
    }
    probe_wake_.notify_all();
    if (probe_.joinable()) probe_.join();
  }

  bool Answering() override {
    std::call_once(probe_started_, [this] { probe_ = std::thread([this] { ProbeLoop(); }); });
    return answering_.load(std::memory_order_relaxed);
  }

  StatusOr<std::unique_ptr<Transaction>> Begin(bool write) override {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<PgTransaction> txn,
                          BeginTransaction(write ? Kind::kWrite : Kind::kRead));
    if (write && options_.change_log) txn->EnableChangeLog();
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  StatusOr<std::unique_ptr<Transaction>> BeginPipelinedRead(
      std::shared_ptr<ReadAssumptions> found) override {
    std::optional<int64_t> counts[internal::kChangeCounterCount];
    for (size_t i = 0; i < internal::kChangeCounterCount; ++i) {
      const int64_t count = last_change_counts_[i].load(std::memory_order_relaxed);
      if (count == kNoChangeCount) return Begin(false);
      counts[i] = count;
    }
    if (found == nullptr) return Begin(false);
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<PgTransaction> txn,
                          BeginTransaction(Kind::kRead, std::move(found), counts));
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  // Keeps the latest change counts a transaction read, in kChangeCounters'
  // order (what a pipelined read assumes). They only count up.
  void SawChangeCounts(std::span<const std::optional<int64_t>> counts) {
    for (size_t i = 0; i < internal::kChangeCounterCount && i < counts.size(); ++i) {
      std::atomic<int64_t>& last = last_change_counts_[i];
      int64_t seen = last.load(std::memory_order_relaxed);
      while (counts[i] && *counts[i] > seen &&
             !last.compare_exchange_weak(seen, *counts[i], std::memory_order_relaxed)) {
      }
    }
  }

  // Whether work whose first read was the statement of hash `sql` was seen
  // to read again (ReadsAgainAfter): its pipelined reads then begin a
  // transaction instead of running that statement alone, so as not to be
  // done twice each time.
  bool ReadAgainAfter(size_t sql) {
    std::lock_guard<std::mutex> lock(read_again_mutex_);
    return read_again_after_.count(sql) > 0;
  }
  void ReadsAgainAfter(size_t sql) {
    std::lock_guard<std::mutex> lock(read_again_mutex_);
    if (read_again_after_.size() >= 1024) read_again_after_.clear();  // shapes repeat
    read_again_after_.insert(sql);
  }

  // A transaction of `kind`, begun; with `assume`, a pipelined read not
  // begun yet that assumes the change counts `counts` (Assume).
  StatusOr<std::unique_ptr<PgTransaction>> BeginTransaction(
      Kind kind, std::shared_ptr<ReadAssumptions> assume = nullptr,
      std::span<const std::optional<int64_t>> counts = {}) {
    const auto began = std::chrono::steady_clock::now();
    bool fresh = false;
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, TakeConnection(&fresh));
    int64_t known_version;
    std::shared_ptr<const schema::Catalog> catalog;
    {
      std::lock_guard<std::mutex> lock(catalog_mutex_);
      known_version = catalog_version_;
      catalog = catalog_;
    }
    auto txn = std::make_unique<PgTransaction>(this, std::move(conn), fresh, kind,
                                               std::move(catalog), known_version);
    txn->set_began(began);
    if (assume != nullptr) {
      txn->Assume(counts, std::move(assume));
      return txn;
    }
    KITH_RETURN_IF_ERROR(txn->BeginNow());
    return txn;
  }

  // Gives back `broken` (a pooled connection that died with a server
  // restart: the other idle ones died with it, and are dropped too) and
  // opens a new one, which fails at once while the server is still down.
  StatusOr<std::unique_ptr<PgConnection>> Reconnect(std::unique_ptr<PgConnection> broken) {
    ReturnConnection(std::move(broken));
    DropIdleConnections();
    bool fresh = false;
    return TakeConnection(&fresh);
  }

  std::shared_ptr<const schema::Catalog> catalog() const override {
    std::lock_guard<std::mutex> lock(catalog_mutex_);
    return catalog_;
  }
  const schema::Catalog& base() const { return *base_; }
  int pool_wait_ms() const { return options_.pool_wait_ms; }
  internal::SelectShapes& shapes() { return shapes_; }

  // The layout of `table` read for catalog version `version`, or null.
  std::shared_ptr<const TableLayout> FindLayout(const std::string& table, int64_t version) {
    std::lock_guard<std::mutex> lock(records_mutex_);
    auto it = layouts_.find(table);
    return it != layouts_.end() && it->second->catalog_version == version ? it->second : nullptr;
  }
  void KeepLayout(const std::string& table, std::shared_ptr<const TableLayout> layout) {
    std::lock_guard<std::mutex> lock(records_mutex_);
    layouts_[table] = std::move(layout);
  }
  // Forgets every layout and plan: a row read whole was not of its table's
  // layout (another server migrated the table meanwhile, a rolling upgrade).
  void ForgetLayouts() {
    std::lock_guard<std::mutex> lock(records_mutex_);
    layouts_.clear();
    plans_.clear();
  }
  // The plan kept for a kept statement, or null.
  std::shared_ptr<const RecordPlan> FindPlan(const internal::SqlStatement* statement) {
    std::lock_guard<std::mutex> lock(records_mutex_);
    auto it = plans_.find(statement);
    return it == plans_.end() ? nullptr : it->second;
  }
  void KeepPlan(std::shared_ptr<const RecordPlan> plan) {
    std::lock_guard<std::mutex> lock(records_mutex_);
    if (plans_.size() >= 256) plans_.clear();  // shapes repeat
    plans_[plan->statement.get()] = std::move(plan);
  }

  // Commits a transaction that changed the custom data schema: the catalog
  // version is counted up in it, so that every server (this one included)
  // learns that its catalog is old; this one takes `catalog` at once.
  Status CommitAndPublish(PgConnection& conn, std::shared_ptr<const schema::Catalog> catalog) {
    KITH_ASSIGN_OR_RETURN(int64_t version, conn.RunScalar(internal::BumpCatalogVersionSql(), {}));
    KITH_RETURN_IF_ERROR(conn.Exec("COMMIT"));
    Publish(version, std::move(catalog));
    return Status();
  }

  Status Migrate();

  // Makes `catalog` the store's when `version` is newer than its own.
  void Publish(int64_t version, std::shared_ptr<const schema::Catalog> catalog) {
    std::lock_guard<std::mutex> lock(catalog_mutex_);
    if (version > catalog_version_) {
      catalog_version_ = version;
      catalog_ = std::move(catalog);
    }
  }

  // A connection from the pool, or a new one (`fresh`) when none is idle
  // and the pool is not full.
  StatusOr<std::unique_ptr<PgConnection>> TakeConnection(bool* fresh) {
    std::unique_lock<std::mutex> lock(pool_mutex_);
    bool free = pool_free_.wait_for(lock, std::chrono::milliseconds(options_.pool_wait_ms), [&] {
      return !idle_.empty() || open_ < options_.pool_size;
    });
    if (!free) return absl::UnavailableError("database busy: every connection is in use");
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
    lock.unlock();
    *fresh = true;
    auto conn = PgConnection::Open(options_.database_url);
    if (conn.ok()) {
      connect_failed_.store(false, std::memory_order_relaxed);
      return conn;
    }
    lock.lock();
    --open_;
    pool_free_.notify_one();
    lock.unlock();
    // Opened while answering a request: the reason (host and port) goes to
    // the log, once per outage; the client learns that the database is out of reach.
    if (!connect_failed_.exchange(true)) {
      std::fprintf(stderr, "kith: %s\n", std::string(conn.status().message()).c_str());
    }
    return absl::UnavailableError("database unavailable");
  }

  // Takes back a connection; one that broke, or is still inside a
  // transaction it cannot leave, is closed instead.
  void ReturnConnection(std::unique_ptr<PgConnection> conn) {
    if (conn != nullptr && !conn->healthy()) {
      (void)conn->Exec("ROLLBACK");
      if (!conn->healthy()) conn.reset();
    }
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (conn != nullptr) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    pool_free_.notify_one();
  }

  // Closes the idle connections (the server they talked to went away).
  void DropIdleConnections() {
    std::vector<std::unique_ptr<PgConnection>> dropped;
    {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      dropped.swap(idle_);
      open_ -= static_cast<int>(dropped.size());
    }
    pool_free_.notify_all();
  }

 private:
  // Every second: whether the database answers a query on a connection of
  // the probe's own (reopened after a failure). Answering() reports the
  // last finding, so /healthz costs no round trip. When the database stops
  // answering, the idle pooled connections are dropped: the first calls
  // after it is back then open new ones instead of failing on dead ones.
  void ProbeLoop() {
    std::unique_ptr<PgConnection> conn;
    std::unique_lock<std::mutex> lock(probe_mutex_);
    while (!stopping_) {
      lock.unlock();
      if (conn == nullptr) {
        auto opened = PgConnection::Open(options_.database_url);
        if (opened.ok()) conn = std::move(*opened);
      }
      bool ok = conn != nullptr && conn->Exec("SELECT 1").ok();
      if (!ok) conn.reset();
      if (answering_.exchange(ok) && !ok) DropIdleConnections();
      lock.lock();
      probe_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }

  StoreOptions options_;
  std::shared_ptr<const schema::Catalog> base_;  // BuiltinCatalog()
  internal::SelectShapes shapes_;
  mutable std::mutex catalog_mutex_;
  // The catalog and the catalog version (kith_versions) it reflects (-1: none yet).
  std::shared_ptr<const schema::Catalog> catalog_;
  int64_t catalog_version_ = -1;
  std::mutex pool_mutex_;
  std::condition_variable pool_free_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // connections out of the pool or idle in it
  static constexpr int64_t kNoChangeCount = -1;  // none read yet
  std::atomic<int64_t> last_change_counts_[internal::kChangeCounterCount] = {
      kNoChangeCount, kNoChangeCount};  // SawChangeCounts
  static_assert(internal::kChangeCounterCount == 2);
  std::mutex records_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const TableLayout>> layouts_;  // by table
  std::unordered_map<const internal::SqlStatement*, std::shared_ptr<const RecordPlan>> plans_;
  std::mutex read_again_mutex_;
  std::unordered_set<size_t> read_again_after_;  // ReadsAgainAfter
  std::atomic<bool> answering_{true};  // the probe's last finding
  std::atomic<bool> connect_failed_{false};  // the last new connection failed (logged)
  std::once_flag probe_started_;
  std::mutex probe_mutex_;
  std::condition_variable probe_wake_;
  bool stopping_ = false;  // guarded by probe_mutex_
  std::thread probe_;
};

PgTransaction::~PgTransaction() {
  batches_.reset();  // its writer stops before the connection is used here
  // A pipelined read that ran no statement: what was made with its
  // assumptions (a refusal, say) stands only when they hold.
  if (!done_ && !begun_ && assumptions_ != nullptr) (void)BeginNow();
  if (!done_ && begun_) {
    (void)conn_->Settle();  // rows still in flight: their outcome no longer matters
    (void)(writes() ? conn_->Exec("ROLLBACK") : conn_->SendUnawaited("ROLLBACK"));
  }
  GiveBackTurn();
  if (conn_ != nullptr) store_->ReturnConnection(std::move(conn_));
  NoteEnded();
}

Status PgTransaction::BeginNow(const std::string* then, const std::vector<Value>* binds,
                               PgResult* result) {
  if (read_alone_ != nullptr) {
    read_alone_->changed = true;
    store_->ReadsAgainAfter(alone_sql_);
    return absl::AbortedError("a second statement after a read run alone: done again");
  }
  // Checked once, whatever the outcome: unchecked, it counts as changed.
  std::shared_ptr<ReadAssumptions> assumed = std::move(assumptions_);
  if (assumed != nullptr) assumed->changed = true;
  if (conn_ == nullptr) return absl::UnavailableError("database unavailable");
  static const std::string kNone;
  // The catalog's, then the change counters'.
  std::optional<int64_t> versions[1 + internal::kChangeCounterCount];
  for (int attempt = 0;; ++attempt) {
    Status s = TakeTurn();
    if (s.ok() && kind_ == Kind::kWrite && !holds_turn_ && !shares_turn_ && !thread_holds_turn &&
        thread_shares_turn == 0) {
      shares_turn_ = true;
      ++thread_shares_turn;
    }
    if (s.ok()) {
      s = kind_ == Kind::kMigrate
              ? conn_->Begin(BeginSql(kind_), kNone, {})
              : conn_->Begin(BeginSql(kind_),
                             shares_turn_ ? WriteVersionsSql() : internal::ReadVersionsSql(),
                             versions, then, binds, result);
    }
    if (s.ok()) break;
    bool broken = !conn_->healthy() && s.code() == absl::StatusCode::kUnavailable;
    if (!broken || fresh_ || attempt > 0) return s;
    GiveBackTurn();  // the session that held it is gone
    auto reopened = store_->Reconnect(std::move(conn_));
    if (!reopened.ok()) return reopened.status();
    conn_ = std::move(*reopened);
    fresh_ = true;
  }
  begun_ = true;
  if (kind_ == Kind::kMigrate) return Status();
  store_->SawChangeCounts(std::span(versions).subspan(1));
  change_counts_.Set(std::span(versions).subspan(1));
  if (assumed != nullptr) {
    if (!AsAssumed(versions)) {
      return absl::AbortedError("the users, the options or the catalog changed since this read");
    }
    assumed->changed = false;
    return Status();
  }
  // The catalog must describe the snapshot: when the database's version is
  // not the one catalog_ reflects, it is read in the snapshot.
  if (const int64_t version = versions[0].value_or(0); version != catalog_version_) {
    KITH_ASSIGN_OR_RETURN(catalog_, LoadCustomCatalog(*this, store_->base()));
    catalog_version_ = version;
    store_->Publish(version, catalog_);
  }
  return Status();
}

StatusOr<std::shared_ptr<const RecordPlan>> PgTransaction::RecordPlanFor(
    const internal::ShapedSelect& shaped) {
  const internal::SqlStatement& st = *shaped.statement;
  if (st.select_end == 0 || !st.list_columns.empty() || st.root_columns.size() < kRecordMinColumns ||
      st.root_alias.empty() || conn_ == nullptr ||
      std::any_of(st.root_columns.begin(), st.root_columns.end(),
                  [](const std::string& c) { return c.empty(); })) {
    return std::shared_ptr<const RecordPlan>();
  }
  if (shaped.kept) {
    std::shared_ptr<const RecordPlan> kept = store_->FindPlan(&st);
    if (kept != nullptr && kept->layout->catalog_version == catalog_version_) return kept;
  }
  std::shared_ptr<const TableLayout> layout = store_->FindLayout(st.root_table, catalog_version_);
  if (layout == nullptr) {
    // A domain's values are sent as its base type's.
    static const std::string kLayoutSql =
        "SELECT a.attname, CAST(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS int8) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = CAST(CAST($1 AS text) AS regclass) AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY a.attnum";
    static const std::vector<std::string> kKeys = {"name", "type"};
    const std::vector<Value> binds = {st.root_table};
    PgResult read;
    if (begun_) {
      KITH_ASSIGN_OR_RETURN(read, conn_->Query(kLayoutSql, binds));
    } else {
      KITH_ASSIGN_OR_RETURN(read, conn_->QueryAlone(kLayoutSql, binds));
    }
    std::vector<Value> rows;
    PgConnection::ReadRows(read.get(), &kKeys, nullptr, &rows, true);
    auto made = std::make_shared<TableLayout>();
    made->catalog_version = catalog_version_;
    made->fields = rows.size();
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!rows[i]["name"].is_string() || !rows[i]["type"].is_number_integer()) {
        return Internal("a table's columns unreadable");
      }
      made->columns.emplace(rows[i]["name"].get<std::string>(),
                            std::pair<int, unsigned>(static_cast<int>(i),
                                                     static_cast<unsigned>(rows[i]["type"].get<int64_t>())));
    }
    layout = std::move(made);
    store_->KeepLayout(st.root_table, layout);
  }
  // Read whole only when most of the row is wanted.
  if (st.root_columns.size() * 2 < layout->fields) return std::shared_ptr<const RecordPlan>();
  auto plan = std::make_shared<RecordPlan>();
  plan->statement = shaped.statement;
  plan->layout = layout;
  for (const std::string& column : st.root_columns) {
    auto found = layout->columns.find(AsciiLower(internal::Identifier(column, kDialect)));
    if (found == layout->columns.end()) return std::shared_ptr<const RecordPlan>();
    plan->columns.field.push_back(found->second.first);
    plan->columns.oids.push_back(found->second.second);
  }
  plan->columns.column = 0;
  plan->columns.fields = layout->fields;
  plan->sql = "SELECT " + st.root_alias;
  plan->select_end = plan->sql.size();
  plan->sql.append(st.sql, st.select_end);
  if (shaped.kept) store_->KeepPlan(plan);
  return std::shared_ptr<const RecordPlan>(std::move(plan));
}

StatusOr<PgResult> PgTransaction::Read(const internal::ShapedSelect& shaped, int* columns,
                                       std::shared_ptr<const RecordPlan>* plan) {
  KITH_ASSIGN_OR_RETURN(std::shared_ptr<const RecordPlan> record, RecordPlanFor(shaped));
  const std::string& sql = record != nullptr ? record->sql : shaped.statement->sql;
  if (begun_) {
    *plan = std::move(record);
    return conn_->Query(sql, shaped.binds);
  }
  if (assumptions_ != nullptr) {
    // A kept shape's statement is kept by the connection for its plan when
    // read whole (a plan is made anew when the catalog changes).
    std::shared_ptr<const void> owner;
    if (shaped.kept) {
      owner = record != nullptr ? std::shared_ptr<const void>(record) : std::shared_ptr<const void>(shaped.statement);
    }
    PgConnection::KeptStatement* kept =
        owner != nullptr && conn_ != nullptr ? conn_->FindKept(owner.get()) : nullptr;
    alone_sql_ = kept != nullptr ? kept->hash : std::hash<std::string>{}(sql);
    if (!store_->ReadAgainAfter(alone_sql_)) {
      const size_t select_end = record != nullptr ? record->select_end : shaped.statement->select_end;
      *plan = std::move(record);
      return ReadAlone(sql, select_end, std::move(owner), shaped.binds, kept, columns);
    }
  }
  PgResult result;
  KITH_RETURN_IF_ERROR(BeginNow(&sql, &shaped.binds, &result));
  if (record != nullptr && record->layout->catalog_version != catalog_version_) {
    // The catalog changed before this snapshot: its table may have other
    // columns than the plan knows. Read as selected.
    return conn_->Query(shaped.statement->sql, shaped.binds);
  }
  *plan = std::move(record);
  return result;
}

StatusOr<PgResult> PgTransaction::ReadAlone(const std::string& sql, size_t select_end,
                                            std::shared_ptr<const void> owner,
                                            const std::vector<Value>& binds,
                                            PgConnection::KeptStatement* kept, int* columns) {
  // Checked once, whatever the outcome: unchecked, it counts as changed.
  std::shared_ptr<ReadAssumptions> assumed = std::move(assumptions_);
  assumed->changed = true;
  if (conn_ == nullptr) return absl::UnavailableError("database unavailable");
  // The versions as the statement's last column: one array read once, for
  // the whole statement (one subquery: each costs the server a plan node
  // to start at every call). Cheaper for the server than a join to the
  // versions row, which would keep the statement's rows in a Materialize.
  // Added to the statement's own select list when it tells where that
  // ends: around it, as "SELECT q.*, versions FROM (statement) q", the
  // server would copy each row once more (a subquery with ORDER BY is
  // not merged into its outer query).
  static const std::string kVersions = [] {
    std::string columns = std::string(", (SELECT ARRAY[") + internal::kVersionsCatalog;
    for (const char* column : internal::kChangeCounterColumns) columns += std::string(", ") + column;
    return columns + "] FROM " + internal::kVersionsTable + ")";
  }();
  PgResult result;
  if (kept == nullptr) {
    std::string alone;
    alone.reserve(sql.size() + kVersions.size() + 32);
    if (select_end > 0 && select_end < sql.size()) {
      alone.append(sql, 0, select_end).append(kVersions).append(sql, select_end);
    } else {
      alone.append("SELECT q.*").append(kVersions).append(" FROM (").append(sql).append(") q");
    }
    // A kept shape's comes again: this connection keeps it, with its name.
    if (owner != nullptr) {
      kept = &conn_->Keep(std::move(owner), std::move(alone), alone_sql_);
    } else {
      KITH_ASSIGN_OR_RETURN(result, conn_->QueryAlone(alone, binds));
    }
  }
  if (kept != nullptr) {
    KITH_ASSIGN_OR_RETURN(result, conn_->QueryAlone(*kept, binds));
  }
  std::optional<int64_t> versions[1 + internal::kChangeCounterCount];
  const int own = PgConnection::ColumnCount(result.get()) - 1;
  if (own < 0) return Internal("a read alone without its versions");
  if (PgConnection::RowCount(result.get()) > 0) {
    PgConnection::ReadIntegerArrayAt(result.get(), own, versions);
    if (!std::all_of(std::begin(versions), std::end(versions), [](auto& v) { return v.has_value(); })) {
      return absl::AbortedError("a read alone's versions unreadable: done again");
    }
  } else {
    // No row, so no versions: read after it. They only count up, so when
    // they are still the ones assumed (seen before the statement), they
    // were those of its snapshot too.
    KITH_ASSIGN_OR_RETURN(PgResult read, conn_->QueryAlone(internal::ReadVersionsSql(), {}));
    PgConnection::ReadIntegersAt(read.get(), 0, versions);
  }
  store_->SawChangeCounts(std::span(versions).subspan(1));
  change_counts_.Set(std::span(versions).subspan(1));
  if (!AsAssumed(versions)) {
    return absl::AbortedError("the users, the options or the catalog changed since this read");
  }
  assumed->changed = false;
  read_alone_ = std::move(assumed);
  *columns = own;
  return result;
}

Status PgTransaction::SettleSequences() {
  if (explicit_ids_.empty()) return Status();
  KITH_RETURN_IF_ERROR(Flush());
  for (const std::string& table : explicit_ids_) {
    if (batches_ != nullptr) batches_->ForgetIds(table);  // the sequence moves past them
    // The table's name comes from the schema, never from input.
    KITH_RETURN_IF_ERROR(conn_->Exec(
        "SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), "
        "GREATEST(COALESCE(MAX(id), 0), 1), MAX(id) IS NOT NULL) FROM " + table));
  }
  explicit_ids_.clear();
  return Status();
}

StatusOr<int64_t> PgTransaction::Insert(std::string_view entity, const Value& row) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  if (batches_ != nullptr) KITH_RETURN_IF_ERROR(batches_->failure());
  KITH_RETURN_IF_ERROR(CheckReferenceLinks(*e, row));
  KITH_RETURN_IF_ERROR(CheckStoreCheckedLinks(*e, row));
  if (row.contains("id")) {
    explicit_ids_.insert(e->table);
  } else if (explicit_ids_.count(e->table) > 0) {
    KITH_RETURN_IF_ERROR(SettleSequences());
  }
  change_counts_.Wrote(e->name);
  int64_t id = 0;
  if (batches_ != nullptr) {
    Value without_id;
    const Value* values = &row;
    if (row.contains("id")) {
      if (!row["id"].is_number_integer()) return InvalidArgument("id must be an integer");
      id = row["id"].get<int64_t>();
      without_id = row;
      without_id.erase("id");
      values = &without_id;
    } else {
      KITH_ASSIGN_OR_RETURN(id, batches_->NextId(*e));
    }
    KITH_RETURN_IF_ERROR(batches_->Add(*e, *values, id, label_));
    ++bulk_inserted_[e->table];
  } else {
    KITH_ASSIGN_OR_RETURN(internal::InsertPlan plan,
                          internal::PlanInsert(*e, row, kDialect, /*with_id=*/false));
    std::vector<Value> binds = internal::InsertBinds(plan, row, 0);
    if (bulk_) {
      KITH_ASSIGN_OR_RETURN(id, conn_->RunScalar(plan.sql, binds));
    } else {
      KITH_RETURN_IF_ERROR(conn_->RunAtomically(plan.sql, binds, &id, nullptr));
    }
  }
  memo_.Inserted(*e, id, row);
  KITH_RETURN_IF_ERROR(LogInsert(*e, id, row));
  return id;
}

Status PgTransaction::Update(std::string_view entity, int64_t id, const Value& changes) {
  KITH_RETURN_IF_ERROR(Flush());
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildUpdate(*e, id, changes, kDialect));
  KITH_RETURN_IF_ERROR(CheckReferenceLinks(*e, changes));
  KITH_RETURN_IF_ERROR(CheckStoreCheckedLinks(*e, changes));
  KITH_ASSIGN_OR_RETURN(Value old, OldValues(*e, id, changes));
  change_counts_.Wrote(e->name);
  memo_.Updated(*e, changes);
  int64_t affected = 0;
  KITH_RETURN_IF_ERROR(conn_->RunAtomically(st.sql, st.binds, nullptr, &affected));
  if (affected == 0) return NotFound(std::string(entity) + " id " + std::to_string(id) + " not found");
  return LogUpdate(*e, id, old, changes);
}

Status PgTransaction::Delete(std::string_view entity, int64_t id) {
  KITH_RETURN_IF_ERROR(Flush());
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(std::vector<internal::ChangeRecord> logged, DeleteChanges(*e, id));
  // A delete may cascade to other tables: forget everything.
  memo_.Clear();
  change_counts_.WroteAny();
  // Links to it that no foreign key clears (internal::ReferenceTarget), as
  // ON DELETE SET NULL would; DeleteChanges logged them. The names come
  // from the schema, never from input.
  if (e->reference_data) {
    for (const auto& other : catalog_->entities()) {
      if (!other->derived.empty()) continue;
      for (const schema::Field& f : other->fields) {
        if (internal::ReferenceTarget(*catalog_, f) != e) continue;
        KITH_RETURN_IF_ERROR(conn_->Run("UPDATE " + other->table + " SET " + f.name +
                                            " = NULL WHERE " + f.name + " = $1",
                                        {id}, nullptr, nullptr, nullptr, nullptr));
      }
    }
  }
  // The rows it owns that no foreign key removes (internal::OwnerCheckedByStore:
  // a contact's emails) go in the same statement, as ON DELETE CASCADE
  // would take them; DeleteChanges logged them.
  std::string owned;
  for (const auto& other : catalog_->entities()) {
    for (const schema::Field& f : other->fields) {
      if (internal::OwnerCheckedByStore(*catalog_, *other, f) != e) continue;
      owned += (owned.empty() ? "WITH " : ", ") + other->table + "_owned AS (DELETE FROM " +
               other->table + " WHERE " + f.name + " = $1) ";
    }
  }
  // The links to it from other rows of its table that no foreign key clears
  // (internal::SelfLinkCheckedByStore: a contact's employer) are cleared in
  // the same statement, as ON DELETE SET NULL did; DeleteChanges logged
  // them. Its own row is left to the delete: a statement changes a row once.
  std::vector<std::string> cleared, linked;
  for (const schema::Field& f : e->fields) {
    if (!internal::SelfLinkCheckedByStore(*e, f)) continue;
    cleared.push_back(f.name + " = CASE WHEN " + f.name + " = $1 THEN NULL ELSE " + f.name + " END");
    linked.push_back(f.name + " = $1");
  }
  if (!cleared.empty()) {
    owned += (owned.empty() ? "WITH " : ", ") + e->table + "_unlinked AS (UPDATE " + e->table + " SET " +
             Join(cleared, ", ") + " WHERE (" + Join(linked, " OR ") + ") AND id <> $1) ";
  }
  int64_t affected = 0;
  KITH_RETURN_IF_ERROR(conn_->Run(owned + "DELETE FROM " + e->table + " WHERE id = $1", {id}, nullptr,
                                  nullptr, nullptr, &affected));
  if (affected == 0) return NotFound(std::string(entity) + " id " + std::to_string(id) + " not found");
  for (internal::ChangeRecord& change : logged) pending_changes_.push_back(std::move(change));
  return Status();
}

Status PgTransaction::Whole(Status read) {
  if (!IsRecordShapeError(read)) return read;
  // Its table has other columns than the layout kept for it: read again at
  // the next call, this one answers that the database changed under it.
  store_->ForgetLayouts();
  return absl::UnavailableError("the database's tables changed while this call read them; call again");
}

StatusOr<std::vector<Value>> PgTransaction::Select(const Query& query) {
  if (begun_) KITH_RETURN_IF_ERROR(Flush());
  KITH_ASSIGN_OR_RETURN(internal::ShapedSelect shaped, store_->shapes().Select(catalog_, query, kDialect));
  const internal::SqlStatement& st = *shaped.statement;
  int columns = -1;
  std::shared_ptr<const RecordPlan> plan;
  KITH_ASSIGN_OR_RETURN(PgResult read, Read(shaped, &columns, &plan));
  std::vector<Value> rows;
  if (plan != nullptr) {
    KITH_RETURN_IF_ERROR(Whole(PgConnection::ReadRecordRows(read.get(), plan->columns, query.SelectedPaths(),
                                                            &st.column_types, &rows, st.distinct_columns)));
  } else {
    PgConnection::ReadRows(read.get(), &query.SelectedPaths(), &st.column_types, &rows, st.distinct_columns,
                           columns);
  }
  if (!st.list_columns.empty()) internal::FinishRows(st, query.SelectedPaths(), rows);
  return rows;
}

Status PgTransaction::SelectEach(const Query& query, CellRows& rows) {
  if (begun_) KITH_RETURN_IF_ERROR(Flush());
  KITH_ASSIGN_OR_RETURN(internal::ShapedSelect shaped, store_->shapes().Select(catalog_, query, kDialect));
  const internal::SqlStatement& st = *shaped.statement;
  // Lists made of aggregated columns are finished on whole rows.
  if (!st.list_columns.empty()) return Transaction::SelectEach(query, rows);
  int columns = -1;  // (the first query.SelectedPaths().size() are read)
  std::shared_ptr<const RecordPlan> plan;
  KITH_ASSIGN_OR_RETURN(PgResult read, Read(shaped, &columns, &plan));
  if (plan != nullptr) return Whole(PgConnection::EachRecordRow(read.get(), plan->columns, &st.column_types, rows));
  return PgConnection::EachRow(read.get(), &st.column_types, query.SelectedPaths().size(), rows);
}

StatusOr<int64_t> PgTransaction::Count(const Query& query) {
  KITH_RETURN_IF_ERROR(Flush());
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildCount(*catalog_, query, kDialect));
  return conn_->RunScalar(st.sql, st.binds);
}

Status PgTransaction::Commit() {
  if (done_) return absl::FailedPreconditionError("transaction already finished");
  if (read_alone_ != nullptr) {  // nothing began on the server
    done_ = true;
    NoteEnded();
    return Status();
  }
  // Queued rows first, then the change rows (queued too when pipelining).
  Status s = Flush();
  if (s.ok()) s = WriteChanges();
  if (s.ok()) s = Flush();
  done_ = true;
  if (s.ok()) s = SettleSequences();
  if (s.ok()) {
    // A read-only transaction's COMMIT changes nothing it read: not waited for.
    s = catalog_changed_ ? store_->CommitAndPublish(*conn_, catalog_)
        : writes()       ? conn_->Exec("COMMIT")
                         : conn_->SendUnawaited("COMMIT");
  }
  if (!s.ok()) {
    (void)conn_->Settle();
    (void)conn_->Exec("ROLLBACK");
  }
  GiveBackTurn();
  // A bulk load leaves the planner without statistics for what it loaded
  // (pg_planner_statistics.h). Committed already: a failure here costs only
  // plans, until autovacuum gathers them.
  if (s.ok() && !bulk_inserted_.empty() && conn_ != nullptr) {
    (void)GatherDueStatistics(*conn_, bulk_inserted_);
  }
  NoteEnded();
  return s;
}

Status PgTransaction::TakeTurn() {
  if (kind_ != Kind::kWrite || holds_turn_ || thread_holds_turn || thread_shares_turn > 0 ||
      !RetryingAfterConflict()) {
    return Status();
  }
  // A failed wait rolls back the SETs with it (one implicit transaction);
  // the session's lock, once taken, outlives that transaction.
  KITH_RETURN_IF_ERROR(conn_->Exec("SET lock_timeout = " + std::to_string(store_->pool_wait_ms()) +
                                   "; SELECT pg_advisory_lock(" + std::to_string(kWritersTurnLock) +
                                   "); RESET lock_timeout"));
  holds_turn_ = thread_holds_turn = true;
  return Status();
}

void PgTransaction::GiveBackTurn() {
  if (shares_turn_) {  // (its lock ended with the transaction)
    shares_turn_ = false;
    --thread_shares_turn;
  }
  if (!holds_turn_) return;
  holds_turn_ = thread_holds_turn = false;
  if (conn_ == nullptr) return;
  if (!conn_->healthy()) (void)conn_->Exec("ROLLBACK");
  // A connection that cannot give it back is closed, and the lock goes with
  // its session: pooled, it would keep every later attempt waiting.
  static const std::string kUnlock =
      "SELECT pg_advisory_unlock(" + std::to_string(kWritersTurnLock) + ")";
  if (!conn_->Exec(kUnlock).ok()) conn_.reset();
}

Status PgTransaction::WriteChanges() {
  if (pending_changes_.empty()) return Status();
  KITH_RETURN_IF_ERROR(conn_->Exec(kChangeLogLock));
  bulk_ = true;  // at commit a failed row fails the whole anyway: no savepoint each
  std::vector<internal::ChangeRecord> changes = std::move(pending_changes_);
  pending_changes_.clear();
  KITH_ASSIGN_OR_RETURN(const schema::Entity* log, Find(schema::kChangeLogEntity));
  for (const internal::ChangeRecord& change : changes) {
    if (batches_ == nullptr || explicit_ids_.count(log->table) > 0) {
      KITH_RETURN_IF_ERROR(Insert(schema::kChangeLogEntity, change.AsRow()).status());
      continue;
    }
    // Queued from the record as it is (a bulk write logs a change or more a row).
    KITH_ASSIGN_OR_RETURN(int64_t id, batches_->NextId(*log));
    KITH_RETURN_IF_ERROR(batches_->AddChange(*log, change, id, label_));
    ++bulk_inserted_[log->table];
  }
  return Status();
}

Status PgTransaction::ReloadCatalog() {
  KITH_ASSIGN_OR_RETURN(catalog_, LoadCustomCatalog(*this, store_->base()));
  catalog_changed_ = true;
  return Status();
}

Status PgTransaction::RunDdl(const std::vector<std::string>& statements) {
  if (!writes()) return absl::FailedPreconditionError("schema changes need a write transaction");
  KITH_RETURN_IF_ERROR(Flush());
  memo_.Clear();
  for (const std::string& sql : statements) KITH_RETURN_IF_ERROR(conn_->Exec(sql));
  return Status();
}

Status PgTransaction::Savepoint() {
  KITH_RETURN_IF_ERROR(Flush());
  KITH_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT kith_sp_" + std::to_string(savepoints_ + 1)));
  ++savepoints_;
  change_marks_.push_back(pending_changes_.size());
  return Status();
}

Status PgTransaction::ReleaseSavepoint() {
  if (savepoints_ == 0) return absl::FailedPreconditionError("no savepoint to release");
  KITH_RETURN_IF_ERROR(Flush());
  KITH_RETURN_IF_ERROR(conn_->Exec("RELEASE SAVEPOINT kith_sp_" + std::to_string(savepoints_)));
  --savepoints_;
  change_marks_.pop_back();
  return Status();
}

Status PgTransaction::RollbackToSavepoint() {
  if (savepoints_ == 0) return absl::FailedPreconditionError("no savepoint to roll back to");
  std::string name = "kith_sp_" + std::to_string(savepoints_);
  KITH_RETURN_IF_ERROR(Flush());
  memo_.Clear();
  // Also what leaves a failed statement behind: the transaction goes on.
  KITH_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO SAVEPOINT " + name + "; RELEASE SAVEPOINT " + name));
  --savepoints_;
  pending_changes_.resize(change_marks_.back());  // that work's changes are undone too
  change_marks_.pop_back();
  return Status();
}

// A DO block that runs `action` (an SQL text built from r.relname and
// `picked`) for each "table.column" of `columns` found in this schema's
// tables, joined or filtered further by `also`. The names come from the
// schema, never from input.
std::string ForEachColumnFound(const std::vector<std::string>& columns, std::string_view picked,
                               std::string_view also, std::string_view action) {
  return "DO $$ DECLARE r record; BEGIN FOR r IN SELECT c.relname, " + std::string(picked) +
         " FROM unnest(string_to_array('" + Join(columns, ",") + "', ',')) AS l(name) "
         "JOIN pg_class c ON c.relname = split_part(l.name, '.', 1) AND c.relkind = 'r' AND "
         "c.relnamespace = CAST(current_schema() AS regnamespace) "
         "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = split_part(l.name, '.', 2) " +
         std::string(also) + " LOOP EXECUTE " + std::string(action) + "; END LOOP; END $$";
}

Status PgStoreImpl::Migrate() {
  KITH_ASSIGN_OR_RETURN(std::unique_ptr<PgTransaction> txn, BeginTransaction(Kind::kMigrate));
  PgConnection& conn = txn->connection();
  // One server migrates; the others wait here, then find nothing to do.
  KITH_RETURN_IF_ERROR(conn.Exec(kMigrationLock));
  KITH_RETURN_IF_ERROR(conn.Exec("CREATE EXTENSION IF NOT EXISTS citext"));
  for (const std::string& sql : internal::CreateVersionsSql("BIGINT")) {
    KITH_RETURN_IF_ERROR(conn.Exec(sql));
  }
  struct Sql final : internal::MigrationSql {
    explicit Sql(PgConnection& c) : conn(c) {}
    Status Exec(const std::string& sql) override { return conn.Exec(sql); }
    StatusOr<int64_t> Scalar(const std::string& sql, const std::vector<Value>& binds) override {
      return conn.RunScalar(internal::Placeholders(sql, kDialect), binds);
    }
    PgConnection& conn;
  } sql(conn);
  KITH_RETURN_IF_ERROR(internal::ApplyMigrations(*txn, sql, *base_, kDialect));
  // Every change to a counted entity's rows counts up its counter, whichever
  // server makes it.
  // One function for every counter: its argument names the one counted up.
  std::string counts;
  for (size_t i = 0; i < internal::kChangeCounterCount; ++i) {
    const std::string column = internal::kChangeCounterColumns[i];
    counts += std::string(i == 0 ? "" : ", ") + column + " = " + column +
              " + CASE WHEN TG_ARGV[0] = '" + kChangeCounters[i] + "' THEN 1 ELSE 0 END";
  }
  KITH_RETURN_IF_ERROR(conn.Exec(std::string("CREATE OR REPLACE FUNCTION kith_count_change() "
                                             "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE ") +
                                 internal::kVersionsTable + " SET " + counts +
                                 "; RETURN NULL; END $$;"));
  // Before migration 16 the versions were two tables.
  KITH_RETURN_IF_ERROR(conn.Exec("DROP TABLE IF EXISTS kith_catalog_version, kith_change_count"));
  for (const internal::CountedEntity& c : kCountedEntities) {
    const schema::Entity* counted = base_->Find(c.entity);
    if (counted == nullptr) return Internal("no schema for a counted entity");
    KITH_RETURN_IF_ERROR(conn.Exec(
        "CREATE OR REPLACE TRIGGER " + counted->table + "_counted AFTER INSERT OR UPDATE OR DELETE ON " +
        counted->table + " FOR EACH ROW EXECUTE FUNCTION kith_count_change('" + c.counter + "')"));
  }
  // The custom groups and fields of this database join the built-in schema.
  KITH_RETURN_IF_ERROR(txn->ReloadCatalog());
  // Tables made with a foreign key for a link kith now checks itself
  // (internal::ReferenceTarget) lose it here, once.
  std::vector<std::string> unchecked;
  for (const auto& e : txn->catalog()->entities()) {
    if (!e->derived.empty()) continue;
    for (const schema::Field& f : e->fields) {
      if (internal::ReferenceTarget(*txn->catalog(), f) != nullptr) unchecked.push_back(e->table + "." + f.name);
    }
  }
  KITH_RETURN_IF_ERROR(conn.Exec(ForEachColumnFound(
      unchecked, "k.conname",
      "JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum]",
      "format('ALTER TABLE %I DROP CONSTRAINT %I', r.relname, r.conname)")));
  // Tables made before UnsampledColumns (every table of a database made
  // before it, custom ones too) lose those statistics here, once: each
  // column is altered only while its target is not yet 0.
  std::vector<std::string> unsampled;
  for (const auto& e : txn->catalog()->entities()) {
    for (const std::string& column : internal::UnsampledColumns(*e, kDialect)) {
      unsampled.push_back(e->table + "." + column);
    }
  }
  KITH_RETURN_IF_ERROR(conn.Exec(ForEachColumnFound(
      unsampled, "a.attname", "WHERE a.attstattarget <> 0",
      "format('ALTER TABLE %I ALTER COLUMN %I SET STATISTICS 0', r.relname, r.attname)")));
  return txn->Commit();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenPgStore(const StoreOptions& options) {
  if (options.pool_size < 1) return InvalidArgument("the connection pool needs at least 1 connection");
  auto store = std::make_unique<PgStoreImpl>(options);
  KITH_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<bool> DatabaseIsEmpty(const std::string& url) {
  KITH_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Open(url));
  KITH_ASSIGN_OR_RETURN(int64_t tables,
                        conn->RunScalar("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'", {}));
  return tables == 0;
}

}  // namespace kith::store::postgres
