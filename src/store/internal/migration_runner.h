// Applies the missing migrations (store/migrations.h) inside a backend's
// migration transaction: the DDL of each is generated from the schema for
// the backend's dialect, so an entity or column a migration adds works on
// every backend without code of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/internal/sql_builder.h"
#include "store/store.h"

namespace kith::store::internal {

// What the runner needs of a backend besides the transaction: running DDL
// and statements that answer one integer, on the transaction's connection.
class MigrationSql {
 public:
  virtual ~MigrationSql() = default;
  virtual Status Exec(const std::string& sql) = 0;
  // `sql` with '?' placeholders (turned into the dialect's).
  virtual StatusOr<int64_t> Scalar(const std::string& sql, const std::vector<Value>& binds) = 0;
};

// Creates kith_schema_version when missing, then applies each migration of
// AllMigrations() newer than the version it records, recording each.
// kFailedPrecondition when the database is newer than this binary.
Status ApplyMigrations(Transaction& txn, MigrationSql& sql, const schema::Catalog& base,
                       Dialect dialect);

}  // namespace kith::store::internal
