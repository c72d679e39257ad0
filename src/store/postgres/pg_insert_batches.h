// InsertBatches: the rows of a bulk write (Transaction::PipelineInserts),
// queued per statement shape and written many at once, each shape's rows in
// one multi-row INSERT (one round trip for hundreds of rows instead of one
// each). The ids are the caller's (taken ahead from the table's sequence, or
// the rows' own), so nothing needs to come back. Shapes are written in the
// order they first came, and a row that links to a table queued in a later
// shape writes the queue first, so a row is never written before one it
// links to. A batch is sent without waiting for its outcome (a few are in
// flight at once), so that kith makes the next rows while the server writes
// these; Flush waits for them all. The first failure sticks: the failed row
// is found by writing that batch's rows one by one, and its failure,
// prefixed with the label it was queued under, is what every later call
// returns.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/postgres/pg_connection.h"

namespace kith::store::postgres {

class InsertBatches {
 public:
  // Queues `row` (which has no "id") as row `id` of `entity`; writes the
  // queue first when the row links to a later shape, and after it when a
  // batch is full.
  Status Add(PgConnection& conn, const schema::Entity& entity, const Value& row, int64_t id,
             const std::string& label);
  // Writes every queued row (the shapes and their order are kept) and waits
  // for the server to have written them.
  Status Flush(PgConnection& conn);
  // Waits for the batches sent and not yet written (before anything else
  // uses the connection).
  Status Await(PgConnection& conn);
  const Status& failure() const { return failure_; }

 private:
  struct Batch {
    const schema::Entity* entity;
    std::string one_row_sql;  // the shape's INSERT of one row (finds a failed row)
    std::string prefix;       // "INSERT INTO t (id, a, b) VALUES "
    size_t width = 0;         // parameters per row
    std::vector<Value> binds;
    std::vector<std::string> labels;
  };
  // A batch sent, its outcome not yet read.
  struct Sent {
    std::string one_row_sql;
    size_t width = 0;
    std::vector<Value> binds;
    std::vector<std::string> labels;
  };
  // Whether `row` of `entity` links to a table whose shape comes after `at`.
  bool LinksToLaterBatch(const schema::Entity& entity, const Value& row, size_t at) const;
  // Sends every queued row, shape by shape.
  Status SendAll(PgConnection& conn);
  // Sends `batch`'s rows (waiting for the oldest batch in flight when
  // kMaxInFlight are).
  Status Send(PgConnection& conn, Batch& batch);
  // Reads the outcome of the oldest batch in flight; finds the failed row.
  Status AwaitOldest(PgConnection& conn);

  std::vector<Batch> batches_;                      // in the order their shapes came
  std::unordered_map<std::string, size_t> shapes_;  // one-row SQL -> its batch
  std::deque<Sent> in_flight_;                      // oldest first
  Status failure_;
};

}  // namespace kith::store::postgres
