#include "store/postgres/pg_store.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include "base/error_details.h"
#include "store/custom_catalog.h"
#include "store/internal/sql_transaction.h"
#include "store/internal/migration_runner.h"
#include "store/internal/sql_builder.h"
#include "store/postgres/pg_connection.h"

namespace kith::store::postgres {
namespace {

using internal::Dialect;

constexpr Dialect kDialect = Dialect::kPostgres;

using internal::kCountedEntity;

// The advisory lock a migrating server holds, so that servers starting
// together on an empty database migrate it once ("kith" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(1802073192)";

enum class Kind {
  kRead,     // REPEATABLE READ READ ONLY: one snapshot
  kWrite,    // SERIALIZABLE: as if alone
  kMigrate,  // READ COMMITTED under the migration lock: sees what others migrated
};

// BEGIN and, in the same round trip, the first read, which fixes the
// snapshot: the catalog version and the counted entity's change count.
const std::string& BeginSql(Kind kind) {
  static const std::string versions = "; " + internal::ReadVersionsSql();
  static const std::string read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" + versions;
  static const std::string write = "BEGIN ISOLATION LEVEL SERIALIZABLE" + versions;
  static const std::string migrate = "BEGIN ISOLATION LEVEL READ COMMITTED";
  return kind == Kind::kRead ? read : kind == Kind::kWrite ? write : migrate;
}

class PgStoreImpl;

class PgTransaction final : public internal::SqlTransaction {
 public:
  PgTransaction(PgStoreImpl* store, std::unique_ptr<PgConnection> conn, Kind kind,
                std::shared_ptr<const schema::Catalog> catalog)
      : store_(store),
        conn_(std::move(conn)),
        kind_(kind),
        catalog_(std::move(catalog)),
        bulk_(kind == Kind::kMigrate) {}  // a failed migration fails whole
  ~PgTransaction() override;

  StatusOr<int64_t> Insert(std::string_view entity, const Value& row) override;
  Status Update(std::string_view entity, int64_t id, const Value& changes) override;
  Status Delete(std::string_view entity, int64_t id) override;
  StatusOr<std::vector<Value>> Select(const Query& query) override;
  StatusOr<int64_t> Count(const Query& query) override;
  Status Commit() override;
  Status Savepoint() override;
  Status ReleaseSavepoint() override;
  Status RollbackToSavepoint() override;
  // Rows are still inserted at once (one round trip each), but without a
  // savepoint each: as the contract allows, a failed row then fails the
  // rest (a bulk import of thousands of rows would otherwise open as many
  // subtransactions). Write transactions only, as on SQLite.
  Status PipelineInserts() override {
    if (!writes()) return absl::FailedPreconditionError("pipelined inserts need a write transaction");
    bulk_ = true;
    return Status();
  }

  std::shared_ptr<const schema::Catalog> catalog() const override { return catalog_; }
  Status ReloadCatalog() override;

  std::optional<int64_t> ChangeCount(std::string_view entity) const override {
    return entity == kCountedEntity ? counted_changes_ : std::nullopt;
  }
  void SetChangeCount(std::optional<int64_t> count) { counted_changes_ = count; }
  void AdoptCatalog(std::shared_ptr<const schema::Catalog> catalog) { catalog_ = std::move(catalog); }
  PgConnection& connection() { return *conn_; }

 private:
  bool writes() const { return kind_ != Kind::kRead; }
  Dialect dialect() const override { return kDialect; }
  Status RunDdl(const std::vector<std::string>& statements) override;
  // Moves the id sequences of the tables given explicit ids past them.
  Status SettleSequences();

  PgStoreImpl* store_;
  std::unique_ptr<PgConnection> conn_;
  Kind kind_;
  std::shared_ptr<const schema::Catalog> catalog_;
  bool catalog_changed_ = false;  // ReloadCatalog() ran: publish on commit
  bool bulk_;  // PipelineInserts(): no savepoint per statement
  bool done_ = false;
  int savepoints_ = 0;  // open marks, named kith_sp_<depth> (never from input)
  std::optional<int64_t> counted_changes_;
  // Tables this transaction inserted rows with explicit ids into (reference
  // data keeps CiviCRM's): their sequences are moved past them before the
  // next insert that takes one, and at commit.
  std::set<std::string> explicit_ids_;
};

class PgStoreImpl final : public Store {
 public:
  explicit PgStoreImpl(StoreOptions options)
      : options_(std::move(options)), base_(schema::BuiltinCatalog()), catalog_(base_) {}

  StatusOr<std::unique_ptr<Transaction>> Begin(bool write) override {
    return BeginTransaction(write ? Kind::kWrite : Kind::kRead);
  }

  StatusOr<std::unique_ptr<PgTransaction>> BeginTransaction(Kind kind) {
    const auto began = std::chrono::steady_clock::now();
    std::optional<int64_t> versions[2];  // the catalog's, kCountedEntity's changes
    std::unique_ptr<PgConnection> conn;
    // A pooled connection may have died with a server restart: it is
    // dropped, and one new connection tried.
    for (int attempt = 0;; ++attempt) {
      KITH_ASSIGN_OR_RETURN(conn, TakeConnection());
      Status s = conn->Exec(BeginSql(kind), kind == Kind::kMigrate
                                                ? std::span<std::optional<int64_t>>()
                                                : std::span<std::optional<int64_t>>(versions));
      if (s.ok()) break;
      bool reconnect = !conn->healthy() && s.code() == absl::StatusCode::kUnavailable;
      ReturnConnection(std::move(conn));
      if (!reconnect || attempt > 0) return s;
    }
    int64_t known_version;
    std::shared_ptr<const schema::Catalog> catalog;
    {
      std::lock_guard<std::mutex> lock(catalog_mutex_);
      known_version = catalog_version_;
      catalog = catalog_;
    }
    auto txn = std::make_unique<PgTransaction>(this, std::move(conn), kind, std::move(catalog));
    txn->set_began(began);
    txn->SetChangeCount(versions[1]);
    // The catalog must describe the snapshot: when the database's version
    // is not the one this store's catalog reflects, read it in the snapshot.
    if (kind != Kind::kMigrate && versions[0].value_or(0) != known_version) {
      KITH_ASSIGN_OR_RETURN(std::shared_ptr<const schema::Catalog> fresh,
                            LoadCustomCatalog(*txn, *base_));
      txn->AdoptCatalog(fresh);
      Publish(versions[0].value_or(0), std::move(fresh));
    }
    return txn;
  }

  std::shared_ptr<const schema::Catalog> catalog() const override {
    std::lock_guard<std::mutex> lock(catalog_mutex_);
    return catalog_;
  }
  const schema::Catalog& base() const { return *base_; }

  // Commits a transaction that changed the custom data schema: the catalog
  // version is counted up in it, so that every server (this one included)
  // learns that its catalog is old; this one takes `catalog` at once.
  Status CommitAndPublish(PgConnection& conn, std::shared_ptr<const schema::Catalog> catalog) {
    KITH_ASSIGN_OR_RETURN(
        int64_t version,
        conn.RunScalar("UPDATE kith_catalog_version SET version = version + 1 RETURNING version", {}));
    KITH_RETURN_IF_ERROR(conn.Exec("COMMIT"));
    Publish(version, std::move(catalog));
    return Status();
  }

  Status Migrate();

  StatusOr<std::unique_ptr<PgConnection>> TakeConnection() {
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
    auto conn = PgConnection::Open(options_.database_url);
    if (!conn.ok()) {
      lock.lock();
      --open_;
      pool_free_.notify_one();
    }
    return conn;
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

 private:
  void Publish(int64_t version, std::shared_ptr<const schema::Catalog> catalog) {
    std::lock_guard<std::mutex> lock(catalog_mutex_);
    if (version > catalog_version_) {
      catalog_version_ = version;
      catalog_ = std::move(catalog);
    }
  }

  StoreOptions options_;
  std::shared_ptr<const schema::Catalog> base_;  // BuiltinCatalog()
  mutable std::mutex catalog_mutex_;
  // The catalog and the kith_catalog_version it reflects (-1: none yet).
  std::shared_ptr<const schema::Catalog> catalog_;
  int64_t catalog_version_ = -1;
  std::mutex pool_mutex_;
  std::condition_variable pool_free_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // connections out of the pool or idle in it
};

PgTransaction::~PgTransaction() {
  if (!done_) (void)conn_->Exec("ROLLBACK");
  store_->ReturnConnection(std::move(conn_));
  NoteEnded();
}

Status PgTransaction::SettleSequences() {
  for (const std::string& table : explicit_ids_) {
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
  KITH_ASSIGN_OR_RETURN(internal::InsertPlan plan,
                        internal::PlanInsert(*e, row, kDialect, /*with_id=*/false));
  if (row.contains("id")) {
    explicit_ids_.insert(e->table);
  } else if (explicit_ids_.count(e->table) > 0) {
    KITH_RETURN_IF_ERROR(SettleSequences());
  }
  if (e->name == kCountedEntity) counted_changes_.reset();
  int64_t id = 0;
  if (bulk_) {
    KITH_ASSIGN_OR_RETURN(id, conn_->RunScalar(plan.sql, internal::InsertBinds(plan, row, 0)));
  } else {
    KITH_RETURN_IF_ERROR(
        conn_->RunAtomically(plan.sql, internal::InsertBinds(plan, row, 0), &id, nullptr));
  }
  memo_.Inserted(*e, id, row);
  return id;
}

Status PgTransaction::Update(std::string_view entity, int64_t id, const Value& changes) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildUpdate(*e, id, changes, kDialect));
  if (e->name == kCountedEntity) counted_changes_.reset();
  memo_.Updated(*e, changes);
  int64_t affected = 0;
  KITH_RETURN_IF_ERROR(conn_->RunAtomically(st.sql, st.binds, nullptr, &affected));
  if (affected == 0) return NotFound(std::string(entity) + " id " + std::to_string(id) + " not found");
  return Status();
}

Status PgTransaction::Delete(std::string_view entity, int64_t id) {
  KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Find(entity));
  // A delete may cascade to other tables: forget everything.
  memo_.Clear();
  counted_changes_.reset();
  int64_t affected = 0;
  KITH_RETURN_IF_ERROR(conn_->Run("DELETE FROM " + e->table + " WHERE id = $1", {id}, nullptr,
                                  nullptr, nullptr, &affected));
  if (affected == 0) return NotFound(std::string(entity) + " id " + std::to_string(id) + " not found");
  return Status();
}

StatusOr<std::vector<Value>> PgTransaction::Select(const Query& query) {
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildSelect(*catalog_, query, kDialect));
  std::vector<Value> rows;
  KITH_RETURN_IF_ERROR(conn_->Run(st.sql, st.binds, &query.select, &st.column_types, &rows));
  return rows;
}

StatusOr<int64_t> PgTransaction::Count(const Query& query) {
  KITH_ASSIGN_OR_RETURN(auto st, internal::BuildCount(*catalog_, query, kDialect));
  return conn_->RunScalar(st.sql, st.binds);
}

Status PgTransaction::Commit() {
  if (done_) return absl::FailedPreconditionError("transaction already finished");
  done_ = true;
  Status s = SettleSequences();
  if (s.ok()) s = catalog_changed_ ? store_->CommitAndPublish(*conn_, catalog_) : conn_->Exec("COMMIT");
  if (!s.ok()) (void)conn_->Exec("ROLLBACK");
  NoteEnded();
  return s;
}

Status PgTransaction::ReloadCatalog() {
  KITH_ASSIGN_OR_RETURN(catalog_, LoadCustomCatalog(*this, store_->base()));
  catalog_changed_ = true;
  return Status();
}

Status PgTransaction::RunDdl(const std::vector<std::string>& statements) {
  if (!writes()) return absl::FailedPreconditionError("schema changes need a write transaction");
  memo_.Clear();
  for (const std::string& sql : statements) KITH_RETURN_IF_ERROR(conn_->Exec(sql));
  return Status();
}

Status PgTransaction::Savepoint() {
  KITH_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT kith_sp_" + std::to_string(savepoints_ + 1)));
  ++savepoints_;
  return Status();
}

Status PgTransaction::ReleaseSavepoint() {
  if (savepoints_ == 0) return absl::FailedPreconditionError("no savepoint to release");
  KITH_RETURN_IF_ERROR(conn_->Exec("RELEASE SAVEPOINT kith_sp_" + std::to_string(savepoints_)));
  --savepoints_;
  return Status();
}

Status PgTransaction::RollbackToSavepoint() {
  if (savepoints_ == 0) return absl::FailedPreconditionError("no savepoint to roll back to");
  std::string name = "kith_sp_" + std::to_string(savepoints_);
  memo_.Clear();
  // Also what leaves a failed statement behind: the transaction goes on.
  KITH_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO SAVEPOINT " + name + "; RELEASE SAVEPOINT " + name));
  --savepoints_;
  return Status();
}

Status PgStoreImpl::Migrate() {
  KITH_ASSIGN_OR_RETURN(std::unique_ptr<PgTransaction> txn, BeginTransaction(Kind::kMigrate));
  PgConnection& conn = txn->connection();
  // One server migrates; the others wait here, then find nothing to do.
  KITH_RETURN_IF_ERROR(conn.Exec(kMigrationLock));
  KITH_RETURN_IF_ERROR(conn.Exec(
      std::string("CREATE EXTENSION IF NOT EXISTS citext;"
                  "CREATE TABLE IF NOT EXISTS kith_catalog_version (version BIGINT NOT NULL);"
                  "INSERT INTO kith_catalog_version (version) SELECT 0 WHERE NOT EXISTS "
                  "(SELECT 1 FROM kith_catalog_version);"
                  "CREATE TABLE IF NOT EXISTS kith_change_count "
                  "(entity TEXT PRIMARY KEY, count BIGINT NOT NULL);"
                  "INSERT INTO kith_change_count (entity, count) VALUES ('") +
      kCountedEntity + "', 0) ON CONFLICT DO NOTHING"));
  struct Sql final : internal::MigrationSql {
    explicit Sql(PgConnection& c) : conn(c) {}
    Status Exec(const std::string& sql) override { return conn.Exec(sql); }
    StatusOr<int64_t> Scalar(const std::string& sql, const std::vector<Value>& binds) override {
      return conn.RunScalar(internal::Placeholders(sql, kDialect), binds);
    }
    PgConnection& conn;
  } sql(conn);
  KITH_RETURN_IF_ERROR(internal::ApplyMigrations(*txn, sql, *base_, kDialect));
  // Every change to the counted entity's rows counts up its change count,
  // whichever server makes it.
  const schema::Entity* counted = base_->Find(kCountedEntity);
  if (counted == nullptr) return Internal("no schema for the counted entity");
  KITH_RETURN_IF_ERROR(conn.Exec(
      std::string("CREATE OR REPLACE FUNCTION kith_count_change() RETURNS trigger "
                  "LANGUAGE plpgsql AS $$ BEGIN UPDATE kith_change_count SET count = count + 1 "
                  "WHERE entity = TG_ARGV[0]; RETURN NULL; END $$;"
                  "CREATE OR REPLACE TRIGGER ") +
      counted->table + "_counted AFTER INSERT OR UPDATE OR DELETE ON " + counted->table +
      " FOR EACH ROW EXECUTE FUNCTION kith_count_change('" + kCountedEntity + "')"));
  // The custom groups and fields of this database join the built-in schema.
  KITH_RETURN_IF_ERROR(txn->ReloadCatalog());
  return txn->Commit();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenPgStore(const StoreOptions& options) {
  if (options.pool_size < 1) return InvalidArgument("the connection pool needs at least 1 connection");
  auto store = std::make_unique<PgStoreImpl>(options);
  KITH_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace kith::store::postgres
