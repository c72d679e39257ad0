#include "store/store.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace kith::store {
namespace {

constexpr char kRetryPayload[] = "kith.store/retryable";
constexpr int kMaxAttempts = 12;
// This thread's unit of work is an attempt after a conflict (RunWithRetries).
thread_local bool retrying_after_conflict = false;

}  // namespace

Status Transaction::SelectEach(const Query& query, CellRows& rows) {
  KITH_ASSIGN_OR_RETURN(std::vector<Value> read, Select(query));
  std::vector<Cell> cells(query.SelectedPaths().size());
  for (const Value& row : read) {
    for (size_t i = 0; i < cells.size(); ++i) cells[i] = Cell::Of(SelectedColumn(row, query, i));
    KITH_RETURN_IF_ERROR(rows.Row(cells));
  }
  return Status();
}

StatusOr<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  if (!options.database_url.empty()) return postgres::OpenPgStore(options);
  return sqlite::OpenSqliteStore(options);
}

bool IsRetryable(const Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kRetryPayload).has_value();
}

Status RetryableConflict(std::string_view message) {
  Status s = absl::AbortedError(std::string("conflict with a concurrent change: ") +
                                std::string(message));
  s.SetPayload(kRetryPayload, absl::Cord("1"));
  return s;
}

bool RetryingAfterConflict() { return retrying_after_conflict; }

Status RunWithRetries(const std::function<Status()>& attempt) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  // Restored on the way out: a unit of work run inside another keeps the outer one's turn.
  struct Restore {
    bool outer = retrying_after_conflict;
    ~Restore() { retrying_after_conflict = outer; }
  } restore;
  for (int i = 1;; ++i) {
    retrying_after_conflict = restore.outer || i > 1;
    Status s = attempt();
    if (i >= kMaxAttempts || !IsRetryable(s)) return s;
    // Apart, and further apart each time (up to some 64 ms), so that
    // writers contending for one row take turns instead of meeting again.
    std::this_thread::sleep_for(std::chrono::microseconds(jitter() % (1000u << std::min(i, 6))));
  }
}

Status RunWriteTransaction(Store& store, const std::function<Status(Transaction&)>& work) {
  return RunWithRetries([&]() -> Status {
    KITH_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, store.Begin(true));
    KITH_RETURN_IF_ERROR(work(*txn));
    return txn->Commit();
  });
}

}  // namespace kith::store
