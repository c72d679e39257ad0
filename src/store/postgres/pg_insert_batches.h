// InsertBatches: the rows of a bulk write (Transaction::PipelineInserts),
// queued per statement shape and written thousands at once, each shape's
// rows in one COPY ... FROM STDIN (PostgreSQL parses and plans nothing per
// row; a multi-row INSERT of 500 rows was four times the server's work). The
// ids are the caller's: taken ahead from the tables' sequences (NextId), or
// the rows' own, so nothing needs to come back. Shapes are written in the
// order they first came, and a row that links to a table queued in a later
// shape writes the queue first, so a row is never written before one it
// links to. The batches are written by a thread of their own, in order, on
// the transaction's connection, so that kith makes the next rows while the
// server writes these; the connection is the writer's until Await (every
// other use of the connection first awaits). The first failure sticks: the
// row the server names (or the batch's first), prefixed with the label it
// was queued under, is what every later call returns; the transaction has
// failed with it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/internal/sql_builder.h"
#include "store/internal/sql_transaction.h"
#include "store/postgres/pg_connection.h"

namespace kith::store::postgres {

class InsertBatches {
 public:
  // `conn` must outlive this, and is not used by anyone else until Await.
  explicit InsertBatches(PgConnection& conn) : conn_(conn) {}
  // Stops the writer; batches not yet written are dropped.
  ~InsertBatches();
  InsertBatches(const InsertBatches&) = delete;
  InsertBatches& operator=(const InsertBatches&) = delete;

  // Queues `row` (which has no "id") as row `id` of `entity`; writes the
  // queue first when the row links to a later shape, and after it when a
  // batch is full.
  Status Add(const schema::Entity& entity, const Value& row, int64_t id, const std::string& label);
  // Queues the change-log row `change` (`log` is the ChangeLog entity) as
  // row `id`, written from the record as it is, without a row object.
  Status AddChange(const schema::Entity& log, const internal::ChangeRecord& change, int64_t id,
                   const std::string& label);
  // The next id of `entity`'s sequence. Taken ahead in growing blocks, the
  // next block asked for (by the writer, in turn) while this one lasts.
  StatusOr<int64_t> NextId(const schema::Entity& entity);
  // Forgets the ids taken ahead for `table` (its sequence was moved past
  // explicit ids); after Await.
  void ForgetIds(const std::string& table);
  // Writes every queued row (the shapes and their order are kept) and waits
  // for the server to have written them.
  Status Flush();
  // Waits for the batches handed to the writer (before anything else uses
  // the connection).
  Status Await();
  Status failure() const;

 private:
  struct Batch {
    // The entity as the transaction's catalog described it at the last row
    // (compared, never followed: a reloaded catalog has new ones), and its names.
    const schema::Entity* entity = nullptr;
    std::string name, table;
    std::vector<std::string> columns;  // the row's, in order
    internal::InsertPlan plan;         // for the entity above
    std::string copy_sql;       // "COPY t (id, a, b) FROM STDIN"
    std::string data;      // the rows in COPY's text format
    std::vector<std::string> labels;
  };
  // Work for the writer: a batch's rows, or (table set) ids to take.
  struct Job {
    std::string copy_sql;
    std::string data;
    std::vector<std::string> labels;
    std::string table;
    int64_t ids = 0;
  };
  struct Reserved {
    std::deque<int64_t> ids;  // taken, not handed out yet (ascending)
    int64_t block = 16;       // how many to ask for next
    bool asked = false;       // a block is on its way
  };
  // The batch of rows of `entity` with `row`'s columns in its order, or
  // batches_.size(): found by comparing names, so that the shape of a row
  // costs no SQL built and hashed.
  size_t ShapeOf(const schema::Entity& entity, const Value& row) const;
  // Whether `row` of `entity` links to a table whose shape comes after `at`.
  bool LinksToLaterBatch(const schema::Entity& entity, const Value& row, size_t at) const;
  // Hands every queued row to the writer, shape by shape.
  Status SendAll();
  // Queues `job` for the writer (waiting while it has enough to do).
  Status Hand(Job job);
  // The writer thread: runs the jobs in order until stopped.
  void Write();
  Status RunJob(Job& job);

  PgConnection& conn_;
  std::vector<Batch> batches_;  // one per shape, in the order they came
  std::unordered_map<std::string, Reserved> reserved_;  // table -> ids (this thread's)

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable changed_;
  std::deque<Job> jobs_;  // oldest first
  bool writing_ = false;  // the writer is running a job
  bool stop_ = false;
  Status failure_;
  std::unordered_map<std::string, std::vector<int64_t>> arrived_;  // ids the writer took
  std::thread writer_;
};

}  // namespace kith::store::postgres
