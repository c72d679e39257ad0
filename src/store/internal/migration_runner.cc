#include "store/internal/migration_runner.h"

#include "base/error_details.h"
#include "store/migrations.h"

namespace kith::store::internal {
namespace {

Status ExecAll(MigrationSql& sql, const std::vector<std::string>& statements) {
  for (const std::string& s : statements) KITH_RETURN_IF_ERROR(sql.Exec(s));
  return Status();
}

StatusOr<const schema::Entity*> Known(const schema::Catalog& base, const std::string& name) {
  const schema::Entity* e = base.Find(name);
  if (e == nullptr) return Internal("migration names unknown entity " + name);
  return e;
}

}  // namespace

Status ApplyMigrations(Transaction& txn, MigrationSql& sql, const schema::Catalog& base,
                       Dialect dialect) {
  KITH_RETURN_IF_ERROR(
      sql.Exec("CREATE TABLE IF NOT EXISTS kith_schema_version (version INTEGER NOT NULL)"));
  KITH_ASSIGN_OR_RETURN(int64_t current,
                        sql.Scalar("SELECT COALESCE(MAX(version), 0) FROM kith_schema_version", {}));
  const auto& migrations = AllMigrations();
  if (!migrations.empty() && current > migrations.back().version) {
    return absl::FailedPreconditionError(
        "the database schema (version " + std::to_string(current) +
        ") is newer than this kith binary understands");
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    for (const std::string& name : m.new_entities) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, name));
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildCreateTable(base, *e, dialect)));
    }
    for (const auto& [entity, field] : m.new_columns) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, entity));
      const schema::Field* f = e->FindField(field);
      if (f == nullptr) return Internal("migration names unknown column " + entity + "." + field);
      KITH_ASSIGN_OR_RETURN(int64_t present,
                            sql.Scalar(ColumnExistsSql(dialect), {e->table, f->name}));
      if (present > 0) continue;
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildAddColumn(*e, *f, dialect)));
    }
    for (const std::string& entity : m.new_indexes) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, entity));
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildCreateIndexes(base, *e, dialect)));
    }
    for (const std::string& entity : m.sparse_indexes) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, entity));
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildRemakeSparseIndexes(base, *e, dialect)));
    }
    for (const std::string& entity : m.key_indexes) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, entity));
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildKeyIndexes(base, *e, dialect)));
    }
    for (const std::string& entity : m.unique_where_set) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, entity));
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildUniqueWhereSetIndexes(base, *e, dialect)));
    }
    for (const std::string& entity : m.store_checked_links) {
      KITH_ASSIGN_OR_RETURN(const schema::Entity* e, Known(base, entity));
      KITH_RETURN_IF_ERROR(ExecAll(sql, BuildDropStoreCheckedForeignKeys(base, *e, dialect)));
    }
    if (m.seed) KITH_RETURN_IF_ERROR(m.seed(txn));
    KITH_RETURN_IF_ERROR(sql.Exec("INSERT INTO kith_schema_version (version) VALUES (" +
                                  std::to_string(m.version) + ")"));
  }
  return Status();
}

}  // namespace kith::store::internal
