// SqlTransaction: what the SQL backends' transactions share: the lookup
// memo (store/txn_memo.h), name lookups in the transaction's catalog, and
// the schema changes of custom data, generated from the catalog for the
// backend's dialect and run by the backend.
#pragma once

#include <iterator>
#include <optional>
#include <span>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "store/internal/lookup_memo.h"
#include "store/internal/sql_builder.h"
#include "store/store.h"

namespace kith::store::internal {

// The entities whose changes are counted (Transaction::ChangeCount), each
// under a counter (the option groups and values share one): triggers on
// their tables count them up, so changes made by any process are counted.
struct CountedEntity {
  const char* entity;
  const char* counter;
};
inline constexpr CountedEntity kCountedEntities[] = {
    {"User", "User"}, {"OptionGroup", "Options"}, {"OptionValue", "Options"}};
inline constexpr const char* kChangeCounters[] = {"User", "Options"};
inline constexpr size_t kChangeCounterCount = std::size(kChangeCounters);

// The one-row table every transaction reads at its start (migration 16):
// the catalog version (custom data schema changes) in kVersionsCatalog and
// each counter of kChangeCounters in the column kChangeCounterColumns gives
// it, so that the start is one read of one row (it was three lookups in
// two tables).
inline constexpr const char* kVersionsTable = "kith_versions";
inline constexpr const char* kVersionsCatalog = "catalog";
inline constexpr const char* kChangeCounterColumns[] = {"user_changes", "options_changes"};
static_assert(std::size(kChangeCounterColumns) == kChangeCounterCount);

// The index in kChangeCounters of the counter of `entity`'s changes, or -1.
int ChangeCounterOf(std::string_view entity);

// The column of kVersionsTable that counts `counter` (one of kChangeCounters).
std::string_view ChangeCounterColumn(std::string_view counter);

// The statement that starts each transaction's snapshot on both backends:
// the catalog version and the change counters in kChangeCounters' order,
// in one row.
const std::string& ReadVersionsSql();

// The statement that counts the catalog version up in a transaction that
// changed the custom data schema, answering the new version (both backends:
// SQLite has RETURNING since 3.35).
const std::string& BumpCatalogVersionSql();

// kVersionsTable's definition and its one row when missing, for both
// backends (`integer`: the dialect's 64-bit integer type).
std::vector<std::string> CreateVersionsSql(std::string_view integer);

// The change counts a transaction began with (ChangeCount), each forgotten
// once the transaction may have written to its entities.
class ChangeCounts {
 public:
  // `counts` in kChangeCounters' order.
  void Set(std::span<const std::optional<int64_t>> counts) {
    for (size_t i = 0; i < kChangeCounterCount && i < counts.size(); ++i) counts_[i] = counts[i];
  }
  std::optional<int64_t> Of(std::string_view entity) const {
    int i = ChangeCounterOf(entity);
    return i < 0 ? std::nullopt : counts_[i];
  }
  void Wrote(std::string_view entity) {
    if (int i = ChangeCounterOf(entity); i >= 0) counts_[i].reset();
  }
  void WroteAny() {
    for (auto& c : counts_) c.reset();
  }

 private:
  std::optional<int64_t> counts_[kChangeCounterCount];
};

// One ChangeLog row, its columns as stored (id aside).
struct ChangeRecord {
  std::string entity;
  int64_t entity_id = 0;
  const char* action = "";
  std::optional<int64_t> contact_id;
  std::string created_date;
  std::string changes;  // JSON text: field -> [old, new]

  // The row as the ChangeLog entity's (for a plain Insert).
  Value AsRow() const;
  // Appends the columns' values in kChangeColumns' order.
  void AppendBinds(std::vector<Value>& binds) &&;
};

// ChangeRecord's columns, in AppendBinds' order.
inline constexpr const char* kChangeColumns[] = {"entity",     "entity_id",    "action",
                                                 "contact_id", "created_date", "changes"};

class SqlTransaction : public Transaction {
 public:
  LookupMemo& memo() { return memo_; }

  // When the work of this transaction began (Begin's wait for the database
  // included); its construction unless the backend says earlier.
  void set_began(std::chrono::steady_clock::time_point began) { began_ = began; }

  Status CreateTable(std::string_view entity) override;
  Status AddColumn(std::string_view entity, std::string_view field) override;
  Status DropColumn(std::string_view entity, std::string_view field) override;
  Status DropTable(std::string_view entity) override;
  Status SyncIndexes(std::string_view entity, std::string_view field) override;
  // Turned on by the store for its write transactions when its options say
  // so (not for migrations: reference data is not a change).
  void EnableChangeLog() { change_log_ = true; }
  void SetChangeAuthor(int64_t contact_id) override {
    change_author_ = contact_id > 0 ? std::optional<int64_t>(contact_id) : std::nullopt;
  }
  // store/bulk_writes.h's EndPipelinedInserts and InsertWaits.
  virtual Status EndPipelinedInserts() { return Status(); }
  virtual int64_t InsertWaits() const { return 0; }

 protected:
  virtual Dialect dialect() const = 0;
  // Runs DDL statements in this transaction (kFailedPrecondition in a read one).
  virtual Status RunDdl(const std::vector<std::string>& statements) = 0;

  // `entity` in catalog(); kInvalidArgument naming it when unknown.
  StatusOr<const schema::Entity*> Find(std::string_view entity) const;
  // A field of `entity` other than id; kInvalidArgument naming it when unknown.
  StatusOr<const schema::Field*> FindField(const schema::Entity& entity,
                                           std::string_view field) const;

  // Before an insert of `row` into `e` (or an update setting `row`): each
  // optional link to reference data (sql_builder.h ReferenceTarget) names a
  // row, else kInvalidArgument as the API's own check words it. Looked up
  // once a transaction (the memo), in its snapshot, so that a serializable
  // transaction deleting the row conflicts with this one.
  Status CheckReferenceLinks(const schema::Entity& e, const Value& row);
  // PostgreSQL, before an insert of `row` into `e` (or an update setting
  // `row`): each link to the row that owns it (sql_builder.h
  // OwnerCheckedByStore: an email's contact) or to another row of `e`
  // (SelfLinkCheckedByStore: a contact's employer) names a row, else
  // kInvalidArgument as a foreign key's violation is worded. Known from the
  // memo (the owner inserted or looked up in this transaction) or looked up
  // in its snapshot, so that a serializable transaction deleting the owner
  // conflicts with this one. A value that is not an integer is left to the
  // database to refuse.
  Status CheckStoreCheckedLinks(const schema::Entity& e, const Value& row);
  // How many rows of `entity` have `id` (0 or 1), in this transaction's snapshot.
  StatusOr<int64_t> CountById(const std::string& entity, int64_t id);

  // --- The change log (store/internal/change_log.cc) ---
  // Whether this transaction logs writes to `e` (EnableChangeLog, a logged entity).
  bool Logs(const schema::Entity& e) const { return change_log_ && e.change_logged; }
  // After `row` was inserted into `e` as `id`.
  // `plan`, when given, is the insert plan of `row` (what each column shows
  // is known from it).
  Status LogInsert(const schema::Entity& e, int64_t id, const Value& row,
                   const InsertPlan* plan = nullptr);
  // Before an update of `e` setting `changes` on `id`: the old values of the
  // columns it sets (an empty object when the row is not there or `e` is
  // not logged); after it, LogUpdate.
  StatusOr<Value> OldValues(const schema::Entity& e, int64_t id, const Value& changes);
  Status LogUpdate(const schema::Entity& e, int64_t id, const Value& old, const Value& changes);
  // Before a delete of `id`: the change rows it makes, its own and those of
  // the rows the database removes (ON DELETE CASCADE) or clears (SET NULL)
  // with it; given to StoreChange after the delete succeeded.
  StatusOr<std::vector<ChangeRecord>> DeleteChanges(const schema::Entity& e, int64_t id);
  // Keeps one ChangeLog row: SQLite inserts it at once (many rows an INSERT
  // when inserts are pipelined), PostgreSQL keeps it for the commit (see
  // PgTransaction).
  virtual Status StoreChange(ChangeRecord change) = 0;
  // The transaction has ended (committed, failed or rolled back): its time
  // goes to the thread's request record (base/request_record.h). Once; the
  // backends call it at the end of Commit() and in their destructors.
  void NoteEnded();

  LookupMemo memo_;

 private:
  // A ChangeLog row; `changes` is its JSON text.
  ChangeRecord ChangeRow(const schema::Entity& e, int64_t id, const char* action, std::string changes);
  Status CollectDeletes(const schema::Entity& e, int64_t id, std::vector<ChangeRecord>& out,
                        int depth);

  bool change_log_ = false;
  std::optional<int64_t> change_author_;
  int64_t stamped_at_ = 0;  // the second stamp_ (created_date) is of
  std::string stamp_;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  bool ended_ = false;
};

}  // namespace kith::store::internal
