// SqlTransaction: what the SQL backends' transactions share: the lookup
// memo (store/txn_memo.h), name lookups in the transaction's catalog, and
// the schema changes of custom data, generated from the catalog for the
// backend's dialect and run by the backend.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "store/internal/lookup_memo.h"
#include "store/internal/sql_builder.h"
#include "store/store.h"

namespace kith::store::internal {

// The entity whose changes are counted (Transaction::ChangeCount): triggers
// on its table count them up in kith_change_count, so changes made by any
// process are counted.
inline constexpr const char* kCountedEntity = "User";

// The statement that starts each transaction's snapshot on both backends:
// the catalog version (custom data schema changes) and kCountedEntity's
// change count, in one row.
const std::string& ReadVersionsSql();

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

 protected:
  virtual Dialect dialect() const = 0;
  // Runs DDL statements in this transaction (kFailedPrecondition in a read one).
  virtual Status RunDdl(const std::vector<std::string>& statements) = 0;

  // `entity` in catalog(); kInvalidArgument naming it when unknown.
  StatusOr<const schema::Entity*> Find(std::string_view entity) const;
  // A field of `entity` other than id; kInvalidArgument naming it when unknown.
  StatusOr<const schema::Field*> FindField(const schema::Entity& entity,
                                           std::string_view field) const;

  // The transaction has ended (committed, failed or rolled back): its time
  // goes to the thread's request record (base/request_record.h). Once; the
  // backends call it at the end of Commit() and in their destructors.
  void NoteEnded();

  LookupMemo memo_;

 private:
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  bool ended_ = false;
};

}  // namespace kith::store::internal
