#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iterator>
#include <memory>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error_details.h"
#include "store/custom_catalog.h"
#include "store/internal/sql_transaction.h"
#include "store/internal/migration_runner.h"
#include "store/internal/select_shapes.h"
#include "store/internal/sql_builder.h"
#include "schema/sync_entities.h"
#include "store/migrations.h"
#include "store/sqlite/insert_pipeline.h"
#include "store/sqlite/planner_statistics.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/wal_read_pin.h"
#include "base/value_members.h"

namespace kith::store::sqlite {
namespace {

using internal::Dialect;

constexpr Dialect kDialect = Dialect::kSqlite;

using internal::kCountedEntities;
using internal::ReadVersionsSql;

class SqliteStoreImpl;

// A write transaction's turn: the store's write lock, with the read pin let
// go until the lock is (so that the commit's checkpoint is not held back).
class WriteTurn {
 public:
  WriteTurn() = default;
  WriteTurn(std::mutex& write_mutex, WalReadPin& pin) : lock_(write_mutex), pin_(&pin) {
    pin.PauseForWrite();
  }
  WriteTurn(WriteTurn&& other) noexcept = default;
  WriteTurn& operator=(WriteTurn&& other) noexcept {
    End();
    lock_ = std::move(other.lock_);
    pin_ = other.pin_;
    return *this;
  }
  ~WriteTurn() { End(); }
  void End() {
    if (!lock_.owns_lock()) return;
    pin_->ResumeAfterWrite();
    lock_.unlock();
  }

 private:
  std::unique_lock<std::mutex> lock_;
  WalReadPin* pin_ = nullptr;
};

class SqliteTransaction final : public internal::SqlTransaction {
 public:
  SqliteTransaction(SqliteStoreImpl* store, std::unique_ptr<SqliteConnection> conn, bool write,
                    WriteTurn write_lock,
                    std::shared_ptr<const schema::Catalog> catalog)
      : store_(store),
        conn_(std::move(conn)),
        write_(write),
        write_lock_(std::move(write_lock)),
        catalog_(std::move(catalog)) {}
  ~SqliteTransaction() override;

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
  Status PipelineInserts() override;
  void LabelInserts(std::string_view label) override { insert_label_ = label; }
  Status WaitForInserts() override { return Settle(); }
  Status EndPipelinedInserts() override {
    Status settled = Settle();
    pipeline_.reset();
    return settled;
  }
  int64_t InsertWaits() const override { return insert_waits_; }

  std::shared_ptr<const schema::Catalog> catalog() const override { return catalog_; }
  Status ReloadCatalog() override;

  SqliteConnection& connection() { return *conn_; }
  std::optional<int64_t> ChangeCount(std::string_view entity) const override {
    return change_counts_.Of(entity);
  }
  void SetChangeCounts(std::span<const std::optional<int64_t>> counts) { change_counts_.Set(counts); }
  // Replaces the catalog the transaction began with by one read from the
  // database (another process changed the schema); nothing to publish.
  void AdoptCatalog(std::shared_ptr<const schema::Catalog> catalog) { catalog_ = std::move(catalog); }

 private:
  // Runs `run` with the statement of the select `query` and its
  // parameters: one kept for the query's shape, or built for it.
  Status ReadWith(const Query& query,
                  const std::function<Status(const internal::SqlStatement&, const std::vector<Value>&)>& run);
  Dialect dialect() const override { return kDialect; }
  Status RunDdl(const std::vector<std::string>& statements) override;
  // A change row goes in at once, or when inserts are pipelined, queued
  // with the next ones into one multi-row INSERT (kChangesPerInsert): one
  // writer at a time, so ids are handed out in commit order.
  Status StoreChange(internal::ChangeRecord change) override;
  // Queues the change rows kept by StoreChange as one INSERT, if any.
  Status QueueChanges();
  // Keeps a pipelined row (its id handed out) for a multi-row INSERT of its
  // plan's rows; queues the kept rows when its batch is full, and first
  // when the row links to a table whose rows are kept in a later batch (so
  // that a row never goes in before one it links to).
  Status KeepRow(const schema::Entity& entity, const internal::InsertPlan& plan, const Value& row,
                 int64_t id);
  // Queues the kept rows of the first `batches` batches (all by default),
  // batch by batch in the order their plans came.
  Status QueueRows(size_t batches = SIZE_MAX);
  // Waits for the pipelined inserts (PipelineInserts), so that the
  // connection is this thread's again; their first failure, if any.
  Status Settle() {
    if (pipeline_ == nullptr) return Status();
    ++insert_waits_;
    Status queued = QueueRows();
    if (queued.ok()) queued = QueueChanges();
    Status drained = pipeline_->Drain();
    return drained.ok() ? queued : drained;
  }
  // The id the next pipelined insert into `entity` gets: past every id the
  // table has had (AUTOINCREMENT never hands one out twice).
  StatusOr<int64_t> NextId(const schema::Entity& entity);
  // The insert plan for rows of `entity` with `row`'s columns, made once per
  // transaction and set of columns (a bulk write inserts rows of a few).
  StatusOr<const internal::InsertPlan*> PlanFor(const schema::Entity& entity, const Value& row,
                                                bool with_id);

  SqliteStoreImpl* store_;
  std::unique_ptr<SqliteConnection> conn_;
  bool write_;
  WriteTurn write_lock_;
  std::shared_ptr<const schema::Catalog> catalog_;
  bool catalog_changed_ = false;  // ReloadCatalog() ran: publish on commit
  bool done_ = false;
  int64_t growth_rows_inserted_ = 0;  // of kGrowthEntity (planner_statistics.h)
  int savepoints_ = 0;  // open marks, named kith_sp_<depth> (never from input)
  // The change counts at the start; each forgotten once this transaction
  // may have written to its entities (its own changes are not counted yet).
  internal::ChangeCounts change_counts_;
  std::unordered_map<std::string, int64_t> next_ids_;  // entity -> id (pipelined inserts)
  std::string insert_label_;
  int64_t insert_waits_ = 0;  // Settle() calls while pipelined (InsertWaits)
  // Key: entity, whether the id is set, the columns in order. Their fields
  // belong to catalog_: forgotten when it changes.
  std::unordered_map<std::string, internal::InsertPlan> insert_plans_;
  // The plans found last, with their columns: a bulk write's next row of
  // the same kind finds its plan by comparing its column names with these,
  // without building and hashing insert_plans_' key.
  struct RecentPlan {
    const schema::Entity* entity = nullptr;
    bool with_id = false;
    const internal::InsertPlan* plan = nullptr;  // one of insert_plans_
    std::vector<std::string> columns;
  };
  std::array<RecentPlan, 4> recent_plans_;
  size_t next_recent_plan_ = 0;
  void ForgetPlans() {
    insert_plans_.clear();
    recent_plans_ = {};
  }
  // Change rows kept for one INSERT (StoreChange): their binds, id first.
  std::vector<Value> change_binds_;
  size_t changes_kept_ = 0;
  // The multi-row INSERT of the change log by row count; a queued insert
  // points at its SQL until the pipeline drains.
  std::unordered_map<size_t, std::string> change_inserts_;
  // Pipelined rows kept for multi-row INSERTs, one batch per insert plan.
  struct RowBatch {
    const schema::Entity* entity;
    const internal::InsertPlan* plan;  // with the id; one of insert_plans_
    std::string values;                // "(?, ?, ...)": one row's parameters
    size_t width = 0;                  // parameters per row
    std::vector<Value> binds;
    std::vector<std::string> labels;   // one per row kept
    std::unordered_map<size_t, std::string> inserts;  // the INSERT of n rows; lives until drained
  };
  // In the order their plans first came (a batch linked to moves last).
  std::vector<std::unique_ptr<RowBatch>> row_batches_;
  // Declared last: destroyed (its thread stopped) before the connection goes.
  std::unique_ptr<InsertPipeline> pipeline_;
};

class SqliteStoreImpl final : public Store {
 public:
  explicit SqliteStoreImpl(StoreOptions options)
      : options_(std::move(options)),
        base_(schema::BuiltinCatalog()),
        catalog_(base_),
        // Its own connection fails at once rather than wait for a lock:
        // readers take it in passing.
        read_pin_([this] {
          return SqliteConnection::Open(options_.sqlite_path, /*busy_timeout_ms=*/0,
                                        options_.durable_commits);
        }) {}
  ~SqliteStoreImpl() override { delete spare_.load(std::memory_order_acquire); }

  StatusOr<std::unique_ptr<Transaction>> Begin(bool write) override {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                          BeginTransaction(write, /*check_version=*/true));
    if (write && options_.change_log) static_cast<SqliteTransaction&>(*txn).EnableChangeLog();
    return txn;
  }

  // `check_version` false: the catalog as it is (Migrate(), before the
  // custom data tables may exist).
  StatusOr<std::unique_ptr<Transaction>> BeginTransaction(bool write, bool check_version) {
    const auto began = std::chrono::steady_clock::now();
    WriteTurn write_lock;
    if (write) write_lock = WriteTurn(write_mutex_, read_pin_);
    else read_pin_.BeforeRead();
    KITH_ASSIGN_OR_RETURN(auto conn, TakeConnection());
    // The catalog must describe exactly the database snapshot the
    // transaction reads. A writer holds the write lock, so no schema change
    // commits meanwhile; a reader starts its snapshot (its first read) under
    // the catalog lock, which a committing schema change holds too.
    // The first read is the catalog version, which also starts the
    // snapshot: another process that changed the custom data schema has
    // counted it up, and this store then reloads its catalog. A connection
    // reads the versions row again only when the database changed since it
    // last did (RunIntegersUnlessUnchanged).
    std::shared_ptr<const schema::Catalog> catalog;
    int64_t known_version = 0;
    StatusOr<int64_t> version;
    // The catalog's, then the change counters'.
    std::optional<int64_t> versions[1 + internal::kChangeCounterCount];
    Status s;
    bool changed = false;  // since this connection's last transaction
    {
      std::unique_lock<std::mutex> lock(catalog_mutex_, std::defer_lock);
      if (!write) lock.lock();
      s = conn->Command(write ? "BEGIN IMMEDIATE" : "BEGIN");
      if (s.ok()) s = conn->RunIntegersUnlessUnchanged(ReadVersionsSql(), versions, &changed);
      version = versions[0].value_or(0);
      if (write) lock.lock();
      catalog = catalog_;
      known_version = catalog_version_;
    }
    if (!s.ok()) {
      (void)conn->Command("ROLLBACK");
      ReturnConnection(std::move(conn));
      return s;
    }
    if (!write) {
      // Someone committed since this connection last read: the pin may
      // hold an older snapshot. Counted after the read, a write of this
      // store's that ends meanwhile is taken for one before it, which
      // errs towards keeping the pin.
      const uint64_t writes = read_pin_.writes();
      if (changed) read_pin_.AfterChangeSeen(writes != conn->own_writes_seen());
      conn->set_own_writes_seen(writes);
    }
    auto txn = std::unique_ptr<SqliteTransaction>(new SqliteTransaction(
        this, std::move(conn), write, std::move(write_lock), std::move(catalog)));
    txn->set_began(began);
    txn->SetChangeCounts(std::span(versions).subspan(1));
    if (check_version && *version != known_version) {
      KITH_ASSIGN_OR_RETURN(std::shared_ptr<const schema::Catalog> fresh,
                            LoadCustomCatalog(*txn, *base_));
      txn->AdoptCatalog(fresh);
      std::lock_guard<std::mutex> lock(catalog_mutex_);
      if (*version > catalog_version_) {
        catalog_ = std::move(fresh);
        catalog_version_ = *version;
      }
    }
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  std::shared_ptr<const schema::Catalog> catalog() const override {
    std::lock_guard<std::mutex> lock(catalog_mutex_);
    return catalog_;
  }

  Status Backup(const std::string& path) override {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return AlreadyExists(path + " already exists");
    KITH_ASSIGN_OR_RETURN(auto conn, TakeConnection());
    Status s = conn->CopyTo(path);
    ReturnConnection(std::move(conn));
    if (s.ok()) s = CheckDatabaseFile(path);
    if (!s.ok()) std::filesystem::remove(path, ec);
    return s;
  }

  const schema::Catalog& base() const { return *base_; }

  // Commits `conn`'s transaction and, when it succeeds, makes `catalog` the
  // store's catalog in the same step (readers never see one without the other).
  // The catalog's version is counted up in the same commit, so that other
  // processes serving this database reload theirs.
  Status CommitAndPublish(SqliteConnection& conn, std::shared_ptr<const schema::Catalog> catalog) {
    KITH_ASSIGN_OR_RETURN(int64_t version, conn.RunScalar(internal::BumpCatalogVersionSql(), {}));
    std::lock_guard<std::mutex> lock(catalog_mutex_);
    Status s = conn.Command("COMMIT");
    if (s.ok()) {
      catalog_ = std::move(catalog);
      catalog_version_ = version;
    }
    return s;
  }

  Status Migrate();

  // Planner statistics (planner_statistics.h), with the write lock held and
  // `conn` outside a transaction: gathered when due, after `rows_added` more
  // rows of kGrowthEntity. A failure leaves the old ones: they only guide
  // the planner.
  void KeepStatistics(SqliteConnection& conn, int64_t rows_added) {
    growth_rows_ += rows_added;
    if (!StatisticsDue(analyzed_rows_, growth_rows_)) return;
    if (GatherStatistics(conn).ok()) analyzed_rows_ = growth_rows_;
  }

  // At open: statistics that exist are taken as made for the data as it is
  // (their row counts are estimates from a sample); missing ones are
  // gathered now, unless the data is small.
  Status OpenStatistics() {
    std::lock_guard<std::mutex> lock(write_mutex_);
    KITH_ASSIGN_OR_RETURN(auto conn, TakeConnection());
    const std::string& table = base_->Find(kGrowthEntity)->table;
    KITH_ASSIGN_OR_RETURN(bool analyzed, HasStatistics(*conn, table));
    // The rows as the highest id: one index step where COUNT(*) reads an
    // index whole (most of a second at 1M contacts when it is not in
    // memory); ids are handed out once, so it counts deleted rows too.
    // The table's name comes from the schema, never from input.
    KITH_ASSIGN_OR_RETURN(growth_rows_,
                          conn->RunScalar("SELECT COALESCE(MAX(id), 0) FROM " + table, {}));
    analyzed_rows_ = analyzed ? growth_rows_ : 0;
    KeepStatistics(*conn, 0);
    ReturnConnection(std::move(conn));
    return Status();
  }

  internal::SelectShapes& shapes() { return shapes_; }

  StatusOr<std::unique_ptr<SqliteConnection>> TakeConnection() {
    // The connection given back last, taken with one atomic exchange: a
    // server thread reading one request at a time finds it there, without
    // the pool's lock.
    if (SqliteConnection* spare = spare_.exchange(nullptr, std::memory_order_acquire)) {
      return std::unique_ptr<SqliteConnection>(spare);
    }
    {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      if (!pool_.empty()) {
        auto conn = std::move(pool_.back());
        pool_.pop_back();
        return conn;
      }
    }
    // Opened while answering a request: the reason (with the file's path)
    // goes to the log, the client learns only that the database is out of reach.
    auto conn = SqliteConnection::Open(options_.sqlite_path, options_.busy_timeout_ms,
                                         options_.durable_commits);
    if (conn.ok()) return conn;
    std::fprintf(stderr, "kith: %s\n", std::string(conn.status().message()).c_str());
    return absl::UnavailableError("the database cannot be opened");
  }

  void ReturnConnection(std::unique_ptr<SqliteConnection> conn) {
    SqliteConnection* empty = nullptr;
    if (spare_.compare_exchange_strong(empty, conn.get(), std::memory_order_release,
                                       std::memory_order_relaxed)) {
      (void)conn.release();  // owned by spare_ now
      return;
    }
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (pool_.size() < 16) pool_.push_back(std::move(conn));
  }

 private:
  StoreOptions options_;
  std::shared_ptr<const schema::Catalog> base_;  // BuiltinCatalog()
  mutable std::mutex catalog_mutex_;
  std::shared_ptr<const schema::Catalog> catalog_;  // guarded by catalog_mutex_
  // kith_catalog_version's value that catalog_ reflects; guarded by catalog_mutex_.
  // -1 until Migrate() has read it, so that the first transaction loads it.
  int64_t catalog_version_ = -1;
  std::mutex write_mutex_;
  // Rows of kGrowthEntity when the planner statistics were gathered (0:
  // never), and now as far as this store has seen; guarded by write_mutex_.
  int64_t analyzed_rows_ = 0;
  int64_t growth_rows_ = 0;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<SqliteConnection>> pool_;
  // One more idle connection, outside pool_ (owned; freed by the destructor).
  std::atomic<SqliteConnection*> spare_{nullptr};
  internal::SelectShapes shapes_;
  // Holds this process's lock on the newest WAL read mark (wal_read_pin.h).
  WalReadPin read_pin_;
};

SqliteTransaction::~SqliteTransaction() {
  pipeline_.reset();
  if (!done_) (void)conn_->Command("ROLLBACK");
  store_->ReturnConnection(std::move(conn_));
  NoteEnded();
}

StatusOr<int64_t> SqliteTransaction::Insert(std::string_view entity, const Value& row) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_RETURN_IF_ERROR(CheckReferenceLinks(*e, row));
  const bool pipelined = pipeline_ != nullptr && !row.contains("id");
  KITH_ASSIGN_OR_RETURN(const internal::InsertPlan* plan, PlanFor(*e, row, pipelined));
  int64_t id;
  if (pipelined) {
    KITH_ASSIGN_OR_RETURN(id, NextId(*e));
    KITH_RETURN_IF_ERROR(KeepRow(*e, *plan, row, id));
  } else {
    KITH_RETURN_IF_ERROR(Settle());
    KITH_RETURN_IF_ERROR(
        conn_->Run(plan->sql, internal::InsertBinds(*plan, row, 0), nullptr, nullptr, nullptr));
    id = conn_->LastInsertId();
    if (auto next = next_ids_.find(e->name); next != next_ids_.end() && next->second <= id) {
      next->second = id + 1;
    }
  }
  if (e->name == kGrowthEntity) ++growth_rows_inserted_;
  change_counts_.Wrote(e->name);
  memo_.Inserted(*e, id, row, &plan->fields);
  KITH_RETURN_IF_ERROR(LogInsert(*e, id, row, plan));
  return id;
}

Status SqliteTransaction::Update(std::string_view entity, int64_t id, const Value& changes) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildUpdate(*e, id, changes, kDialect));
  KITH_RETURN_IF_ERROR(CheckReferenceLinks(*e, changes));
  KITH_RETURN_IF_ERROR(Settle());
  KITH_ASSIGN_OR_RETURN(Value old, OldValues(*e, id, changes));
  change_counts_.Wrote(e->name);
  memo_.Updated(*e, changes);
  KITH_RETURN_IF_ERROR(conn_->Run(st.sql, st.binds, nullptr, nullptr, nullptr));
  if (conn_->Changes() == 0) {
    return NotFound(std::string(entity) + " id " + std::to_string(id) + " not found");
  }
  return LogUpdate(*e, id, old, changes);
}

Status SqliteTransaction::Delete(std::string_view entity, int64_t id) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_RETURN_IF_ERROR(Settle());
  KITH_ASSIGN_OR_RETURN(std::vector<internal::ChangeRecord> logged, DeleteChanges(*e, id));
  // A delete may cascade to other tables (rows deleted, links set to null):
  // forget everything.
  memo_.Clear();
  change_counts_.WroteAny();
  KITH_RETURN_IF_ERROR(
      conn_->Run("DELETE FROM " + e->table + " WHERE id = ?", {id}, nullptr, nullptr, nullptr));
  if (conn_->Changes() == 0) {
    return NotFound(std::string(entity) + " id " + std::to_string(id) + " not found");
  }
  for (internal::ChangeRecord& change : logged) KITH_RETURN_IF_ERROR(StoreChange(std::move(change)));
  return Status();
}

// Change rows per INSERT when pipelined: SQLite's work per statement
// (cursors on the table and its indexes, the AUTOINCREMENT counter) is then
// paid once for many rows.
constexpr size_t kChangesPerInsert = 64;

Status SqliteTransaction::StoreChange(internal::ChangeRecord change) {
  if (pipeline_ == nullptr) return Insert(schema::kChangeLogEntity, change.AsRow()).status();
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(schema::kChangeLogEntity));
  KITH_ASSIGN_OR_RETURN(int64_t id, NextId(*e));
  change_binds_.emplace_back(id);
  std::move(change).AppendBinds(change_binds_);
  if (++changes_kept_ == kChangesPerInsert) return QueueChanges();
  return Status();
}

Status SqliteTransaction::QueueChanges() {
  if (changes_kept_ == 0) return Status();
  std::string& sql = change_inserts_[changes_kept_];
  if (sql.empty()) {
    KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(schema::kChangeLogEntity));
    std::string row = "(?";
    sql = "INSERT INTO " + e->table + " (id";
    for (const char* column : internal::kChangeColumns) {
      sql += ", ";
      sql += column;
      row += ", ?";
    }
    row += ")";
    sql += ") VALUES " + row;
    for (size_t i = 1; i < changes_kept_; ++i) sql += ", " + row;
  }
  changes_kept_ = 0;
  std::vector<Value> binds = std::move(change_binds_);
  change_binds_.clear();
  return pipeline_->Push(sql, std::move(binds), insert_label_);
}

// Rows per multi-row INSERT: SQLite's work per statement (its cursors on
// the table and each index, the AUTOINCREMENT counter, the reset) is paid
// once for many rows; within SQLite's 32,766 parameters of one statement.
size_t RowsPerInsert(size_t width) {
  return std::max<size_t>(1, std::min<size_t>(kChangesPerInsert, 32000 / std::max<size_t>(width, 1)));
}

Status SqliteTransaction::KeepRow(const schema::Entity& entity, const internal::InsertPlan& plan,
                                  const Value& row, int64_t id) {
  // A row after a failed one goes nowhere: its failure is the answer.
  KITH_RETURN_IF_ERROR(pipeline_->Failure());
  size_t at = 0;
  while (at < row_batches_.size() && row_batches_[at]->plan != &plan) ++at;
  if (at + 1 < row_batches_.size()) {
    // Does the row link to a table kept in a later batch?
    bool links_later = false;
    size_t column = 0;
    for (const auto& [name, value] : Members(row)) {
      const schema::Field* f = plan.fields[column++];
      if (f->fk_entity.empty() || value.is_null()) continue;
      for (size_t j = at + 1; j < row_batches_.size() && !links_later; ++j) {
        links_later = !row_batches_[j]->labels.empty() && row_batches_[j]->entity->name == f->fk_entity;
      }
    }
    if (links_later) {
      KITH_RETURN_IF_ERROR(QueueRows());
      // Its batch goes last, after the ones it links to (all are empty now),
      // so that the next rows of the same plans need no queueing of their own.
      std::rotate(row_batches_.begin() + static_cast<std::ptrdiff_t>(at),
                  row_batches_.begin() + static_cast<std::ptrdiff_t>(at) + 1, row_batches_.end());
      at = row_batches_.size() - 1;
    }
  }
  if (at == row_batches_.size()) {
    auto batch = std::make_unique<RowBatch>();
    batch->entity = &entity;
    batch->plan = &plan;
    batch->width = plan.fields.size() + 1;
    batch->values = plan.sql.substr(plan.sql.find(" VALUES (") + 8);
    row_batches_.push_back(std::move(batch));
  }
  RowBatch& batch = *row_batches_[at];
  std::vector<Value> binds = internal::InsertBinds(plan, row, id);
  batch.binds.insert(batch.binds.end(), std::make_move_iterator(binds.begin()),
                     std::make_move_iterator(binds.end()));
  batch.labels.push_back(insert_label_);
  // Full: queued with the batches before it (its rows may link to theirs).
  if (batch.labels.size() >= RowsPerInsert(batch.width)) return QueueRows(at + 1);
  return Status();
}

Status SqliteTransaction::QueueRows(size_t batches) {
  for (size_t b = 0; b < row_batches_.size() && b < batches; ++b) {
    RowBatch& batch = *row_batches_[b];
    size_t rows = batch.labels.size();
    size_t from = 0;  // the first row not queued yet
    while (rows > 0) {
      // Full inserts, then what is left in sixteens, fours and ones: few
      // statements to prepare, whatever was left when the pipeline drained.
      const size_t full = RowsPerInsert(batch.width);
      const size_t n = rows >= full ? full : rows >= 16 ? 16 : rows >= 4 ? 4 : 1;
      std::string& sql = batch.inserts[n];
      if (sql.empty()) {
        sql = batch.plan->sql;
        for (size_t i = 1; i < n; ++i) sql += ", " + batch.values;
      }
      std::vector<Value> binds;
      std::vector<std::string> labels;
      if (from == 0 && n == rows) {
        binds = std::move(batch.binds);
        labels = std::move(batch.labels);
      } else {
        auto first = batch.binds.begin() + static_cast<std::ptrdiff_t>(from * batch.width);
        binds.assign(std::make_move_iterator(first),
                     std::make_move_iterator(first + static_cast<std::ptrdiff_t>(n * batch.width)));
        auto label = batch.labels.begin() + static_cast<std::ptrdiff_t>(from);
        labels.assign(std::make_move_iterator(label),
                      std::make_move_iterator(label + static_cast<std::ptrdiff_t>(n)));
      }
      from += n;
      rows -= n;
      Status queued = pipeline_->Push(sql, std::move(binds), std::move(labels), batch.plan->sql, batch.width);
      if (!queued.ok()) {
        batch.binds.clear();
        batch.labels.clear();
        return queued;
      }
    }
    batch.binds.clear();
    batch.labels.clear();
  }
  return Status();
}

Status SqliteTransaction::ReadWith(
    const Query& query,
    const std::function<Status(const internal::SqlStatement&, const std::vector<Value>&)>& run) {
  KITH_RETURN_IF_ERROR(Settle());
  KITH_ASSIGN_OR_RETURN(internal::ShapedSelect shaped, store_->shapes().Select(catalog_, query, kDialect));
  return run(*shaped.statement, shaped.binds);
}

StatusOr<std::vector<Value>> SqliteTransaction::Select(const Query& query) {
  std::vector<Value> rows;
  KITH_RETURN_IF_ERROR(ReadWith(query, [&](const internal::SqlStatement& st,
                                           const std::vector<Value>& binds) {
    KITH_RETURN_IF_ERROR(conn_->Run(st.sql, binds, &query.SelectedPaths(), &st.column_types, &rows,
                                    st.distinct_columns));
    if (!st.list_columns.empty()) internal::FinishRows(st, query.SelectedPaths(), rows);
    return Status();
  }));
  return rows;
}

Status SqliteTransaction::SelectEach(const Query& query, CellRows& rows) {
  return ReadWith(query, [&](const internal::SqlStatement& st, const std::vector<Value>& binds) {
    // Lists made of GROUP_CONCAT columns are finished on whole rows.
    if (!st.list_columns.empty()) return Transaction::SelectEach(query, rows);
    return conn_->Each(st.sql, binds, &st.column_types, query.SelectedPaths().size(), rows);
  });
}

StatusOr<int64_t> SqliteTransaction::Count(const Query& query) {
  KITH_RETURN_IF_ERROR(Settle());
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildCount(*catalog_, query, kDialect));
  return conn_->RunScalar(st.sql, st.binds);
}

Status SqliteTransaction::Commit() {
  if (done_) return absl::FailedPreconditionError("transaction already finished");
  Status s = Settle();
  pipeline_.reset();
  if (s.ok()) {
    s = catalog_changed_ ? store_->CommitAndPublish(*conn_, catalog_) : conn_->Command("COMMIT");
  }
  if (!s.ok()) {
    (void)conn_->Command("ROLLBACK");
  }
  done_ = true;
  if (s.ok() && write_) store_->KeepStatistics(*conn_, growth_rows_inserted_);
  write_lock_.End();
  NoteEnded();
  return s;
}

Status SqliteTransaction::ReloadCatalog() {
  KITH_RETURN_IF_ERROR(Settle());
  row_batches_.clear();
  ForgetPlans();
  KITH_ASSIGN_OR_RETURN(catalog_, LoadCustomCatalog(*this, store_->base()));
  catalog_changed_ = true;
  return Status();
}

Status SqliteTransaction::RunDdl(const std::vector<std::string>& statements) {
  if (!write_) return absl::FailedPreconditionError("schema changes need a write transaction");
  KITH_RETURN_IF_ERROR(Settle());
  memo_.Clear();
  next_ids_.clear();
  row_batches_.clear();
  ForgetPlans();
  for (const std::string& sql : statements) KITH_RETURN_IF_ERROR(conn_->Exec(sql));
  return Status();
}

Status SqliteTransaction::Savepoint() {
  KITH_RETURN_IF_ERROR(Settle());
  KITH_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT kith_sp_" + std::to_string(savepoints_ + 1)));
  ++savepoints_;
  return Status();
}

Status SqliteTransaction::ReleaseSavepoint() {
  if (savepoints_ == 0) return absl::FailedPreconditionError("no savepoint to release");
  KITH_RETURN_IF_ERROR(Settle());
  KITH_RETURN_IF_ERROR(conn_->Exec("RELEASE kith_sp_" + std::to_string(savepoints_)));
  --savepoints_;
  return Status();
}

Status SqliteTransaction::RollbackToSavepoint() {
  if (savepoints_ == 0) return absl::FailedPreconditionError("no savepoint to roll back to");
  KITH_RETURN_IF_ERROR(Settle());
  std::string name = "kith_sp_" + std::to_string(savepoints_);
  // ROLLBACK TO keeps the mark open; RELEASE then drops it (its work is gone).
  memo_.Clear();
  KITH_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO " + name));
  KITH_RETURN_IF_ERROR(conn_->Exec("RELEASE " + name));
  --savepoints_;
  return Status();
}

Status SqliteTransaction::PipelineInserts() {
  if (!write_) return absl::FailedPreconditionError("pipelined inserts need a write transaction");
  if (pipeline_ == nullptr) pipeline_ = std::make_unique<InsertPipeline>(*conn_);
  return Status();
}

StatusOr<const internal::InsertPlan*> SqliteTransaction::PlanFor(const schema::Entity& entity,
                                                                const Value& row, bool with_id) {
  for (const RecentPlan& recent : recent_plans_) {
    if (recent.plan == nullptr || recent.entity != &entity || recent.with_id != with_id ||
        recent.columns.size() != row.size()) {
      continue;
    }
    size_t i = 0;
    bool same = true;
    for (const auto& [name, value] : Members(row)) {
      if (name != recent.columns[i++]) {
        same = false;
        break;
      }
    }
    if (same) return recent.plan;
  }
  std::string key;
  key.reserve(256);
  key += entity.name;
  key += with_id ? "\x1d+" : "\x1d-";
  for (const auto& [name, value] : row.items()) {
    key += name;
    key += '\x1f';
  }
  auto it = insert_plans_.find(key);
  if (it == insert_plans_.end()) {
    KITH_ASSIGN_OR_RETURN(internal::InsertPlan plan,
                          internal::PlanInsert(entity, row, kDialect, with_id));
    it = insert_plans_.emplace(std::move(key), std::move(plan)).first;
  }
  RecentPlan& recent = recent_plans_[next_recent_plan_++ % recent_plans_.size()];
  recent.entity = &entity;
  recent.with_id = with_id;
  recent.plan = &it->second;
  recent.columns.clear();
  for (const auto& [name, value] : row.items()) recent.columns.push_back(name);
  return &it->second;
}

StatusOr<int64_t> SqliteTransaction::NextId(const schema::Entity& entity) {
  auto it = next_ids_.find(entity.name);
  if (it == next_ids_.end()) {
    KITH_RETURN_IF_ERROR(Settle());
    // The table name comes from the schema, never from input.
    KITH_ASSIGN_OR_RETURN(
        int64_t last,
        conn_->RunScalar("SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
                         "COALESCE((SELECT MAX(id) FROM " + entity.table + "), 0))",
                         {entity.table}));
    it = next_ids_.emplace(entity.name, last + 1).first;
  }
  return it->second++;
}

Status SqliteStoreImpl::Migrate() {
  {
    // The versions every transaction reads first must exist before one begins.
    KITH_ASSIGN_OR_RETURN(auto conn, TakeConnection());
    KITH_RETURN_IF_ERROR(conn->Exec("BEGIN IMMEDIATE"));
    Status s;
    for (const std::string& sql : internal::CreateVersionsSql("INTEGER")) {
      if (s.ok()) s = conn->Exec(sql);
    }
    // Before migration 16 they were two tables, counted up by triggers of
    // other names: both go.
    for (const internal::CountedEntity& c : kCountedEntities) {
      const schema::Entity* counted = base_->Find(c.entity);
      for (const char* event : {"insert", "update", "delete"}) {
        if (s.ok() && counted != nullptr) {
          s = conn->Exec("DROP TRIGGER IF EXISTS " + counted->table + "_counted_" + event);
        }
      }
    }
    if (s.ok()) s = conn->Exec("DROP TABLE IF EXISTS kith_catalog_version");
    if (s.ok()) s = conn->Exec("DROP TABLE IF EXISTS kith_change_count");
    if (s.ok()) s = conn->Exec("COMMIT");
    if (!s.ok()) {
      (void)conn->Command("ROLLBACK");
      return s;
    }
    ReturnConnection(std::move(conn));
  }
  KITH_ASSIGN_OR_RETURN(auto txn_base, BeginTransaction(/*write=*/true, /*check_version=*/false));
  auto& txn = static_cast<SqliteTransaction&>(*txn_base);
  SqliteConnection& conn = txn.connection();
  struct Sql final : internal::MigrationSql {
    explicit Sql(SqliteConnection& c) : conn(c) {}
    Status Exec(const std::string& sql) override { return conn.Exec(sql); }
    StatusOr<int64_t> Scalar(const std::string& sql, const std::vector<Value>& binds) override {
      return conn.RunScalar(sql, binds);
    }
    SqliteConnection& conn;
  } sql(conn);
  KITH_RETURN_IF_ERROR(internal::ApplyMigrations(txn, sql, *base_, kDialect));
  // Every change to a counted entity's rows counts up its counter, whichever
  // connection makes it (the tables exist now).
  for (const internal::CountedEntity& c : kCountedEntities) {
    const schema::Entity* counted = base_->Find(c.entity);
    if (counted == nullptr) return Internal("no schema for a counted entity");
    const std::string column(internal::ChangeCounterColumn(c.counter));
    for (std::string event : {"insert", "update", "delete"}) {
      KITH_RETURN_IF_ERROR(conn.Exec(
          "CREATE TRIGGER IF NOT EXISTS " + counted->table + "_versions_" + event + " AFTER " +
          event + " ON " + counted->table + " BEGIN UPDATE " + internal::kVersionsTable + " SET " +
          column + " = " + column + " + 1; END"));
    }
  }
  // The custom groups and fields of this database join the built-in schema.
  KITH_RETURN_IF_ERROR(txn.ReloadCatalog());
  return txn.Commit();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options) {
  auto store = std::make_unique<SqliteStoreImpl>(options);
  KITH_RETURN_IF_ERROR(store->Migrate());
  KITH_RETURN_IF_ERROR(store->OpenStatistics());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace kith::store::sqlite

