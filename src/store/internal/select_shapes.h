// SelectShapes: the SQL of SELECTs of a simple shape (a row by id, a get by
// id with its is_deleted filter, the api key lookup, ...) built once per
// catalog and shape, shared by the SQL backends: resolving some fifty
// columns and writing their SQL was most of the cost of reading a row back
// after a write, and a third of an APIv4 get by id on PostgreSQL.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/internal/sql_builder.h"
#include "store/query.h"

namespace kith::store::internal {

// A select to run: its statement (SQL, column types, list columns) and
// the values to bind to it.
struct ShapedSelect {
  std::shared_ptr<const SqlStatement> statement;
  std::vector<Value> binds;
  bool kept = false;  // `statement` is kept for its shape: it comes again
};

class SelectShapes {
 public:
  // The select of `query` in `dialect` over `catalog`: kept when the query
  // has a simple shape, so that the next query of that shape only binds its
  // values. Errors: those of BuildSelect.
  StatusOr<ShapedSelect> Select(const std::shared_ptr<const schema::Catalog>& catalog,
                                const Query& query, Dialect dialect);

 private:
  std::mutex mutex_;
  std::shared_ptr<const schema::Catalog> catalog_;  // held, so that its address is not reused
  std::unordered_map<std::string, std::shared_ptr<const SqlStatement>> shapes_;
};

}  // namespace kith::store::internal
