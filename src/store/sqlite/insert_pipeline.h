// InsertPipeline: runs a write transaction's INSERTs on a second thread, in
// the order they were queued, while the transaction's own thread goes on
// with the next rows' rules (a bulk import spends about as long in SQLite
// as in kith's rules, so the two overlap on two cores).
//
// The transaction hands out the ids itself, so a queued insert needs nothing
// back. An insert may be of many rows (one multi-row INSERT, each row with
// its label): when it fails, its rows are run one by one to find the row
// that failed. Anything else on the connection (a read, an update, a commit) first
// waits for the queue to empty (Drain), so it sees every queued row. The
// first insert that fails stops the queue: later ones are dropped, and every
// Drain from then on returns that failure, prefixed with the label it was
// queued under.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "store/sqlite/sqlite_connection.h"

namespace kith::store::sqlite {

class InsertPipeline {
 public:
  // `conn` is used by the pipeline's thread from now on, and by the caller
  // only between a Drain() and the next Push().
  explicit InsertPipeline(SqliteConnection& conn);
  // Waits for the batch of inserts running now (up to a queue's worth),
  // drops the rest (the transaction is being rolled back or was drained
  // already) and stops the thread.
  ~InsertPipeline();
  InsertPipeline(const InsertPipeline&) = delete;
  InsertPipeline& operator=(const InsertPipeline&) = delete;

  // Queues an insert: `sql` (which must live until the next Drain) with
  // `binds`. Blocks while the queue is full (the writer is behind), so that
  // a long import does not hold every row in memory. The failure of an
  // insert queued earlier, if one failed (this one is then dropped).
  Status Push(const std::string& sql, std::vector<Value> binds, std::string label);
  // Queues a multi-row insert: `labels` one per row, each row `width` of
  // `binds`; `one_row_sql` (which must live until the next Drain too)
  // inserts one of them.
  Status Push(const std::string& sql, std::vector<Value> binds, std::vector<std::string> labels,
              const std::string& one_row_sql, size_t width);

  // Waits until every queued insert has run; the first failure, if any.
  Status Drain();

  // The first failure so far, if any, without waiting.
  Status Failure() {
    if (!failed_.load(std::memory_order_acquire)) return Status();
    std::lock_guard<std::mutex> lock(mutex_);
    return failure_;
  }

 private:
  struct Queued {
    const std::string* sql;
    std::vector<Value> binds;
    std::vector<std::string> labels;  // one per row (one for the whole insert when one_row_sql is null)
    const std::string* one_row_sql = nullptr;
    size_t width = 0;  // binds per row
  };

  Status Enqueue(Queued q);
  void Run();
  // Runs `q`; its failure labelled with the row that failed.
  Status RunOne(const Queued& q);

  SqliteConnection& conn_;
  std::mutex mutex_;
  std::condition_variable work_ready_;  // the writer waits for work here
  std::condition_variable progress_;    // Push (queue full) and Drain wait here
  std::vector<Queued> queue_;           // guarded by mutex_
  bool writer_busy_ = false;            // a batch taken from queue_ is running
  bool writer_waiting_ = false;         // the writer sleeps on work_ready_
  bool stopping_ = false;
  Status failure_;                      // the first failed insert, labelled
  std::atomic<bool> failed_{false};     // failure_ is set
  std::thread writer_;
};

}  // namespace kith::store::sqlite
