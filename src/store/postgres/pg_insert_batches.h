// InsertBatches: the rows of a bulk write (Transaction::PipelineInserts),
// queued per statement shape and written many at once, each shape's rows in
// one multi-row INSERT (one round trip for hundreds of rows instead of one
// each). The ids are the caller's (taken ahead from the table's sequence, or
// the rows' own), so nothing needs to come back. Shapes are written in the
// order they first came, and a row that links to a table queued in a later
// shape writes the queue first, so a row is never written before one it
// links to. The first failure sticks: the failed row is found by writing that
// batch's rows one by one, and its failure, prefixed with the label it was
// queued under, is what every later call returns.
#pragma once

#include <cstdint>
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
  // Writes every queued row (the shapes and their order are kept).
  Status Flush(PgConnection& conn);
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
  // Whether `row` of `entity` links to a table whose shape comes after `at`.
  bool LinksToLaterBatch(const schema::Entity& entity, const Value& row, size_t at) const;
  Status Write(PgConnection& conn, Batch& batch);

  std::vector<Batch> batches_;                      // in the order their shapes came
  std::unordered_map<std::string, size_t> shapes_;  // one-row SQL -> its batch
  Status failure_;
};

}  // namespace kith::store::postgres
