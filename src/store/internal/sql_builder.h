// SqlBuilder: turns a Query into SQL text plus bound values, resolving every
// path through the schema (so only schema names ever reach SQL text). Shared
// by the SQL backends; `Dialect` covers their differences.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"
#include "store/query.h"

namespace kith::store::internal {

enum class Dialect { kSqlite, kPostgres };

// A GROUP_CONCAT result column: the database gathers JSON pairs [order
// key, value] (neither SQLite 3.40 nor a portable SQL orders inside an
// aggregate) and FinishRows makes them MySQL's text: ordered by key,
// without NULLs, DISTINCT values once, joined by `separator`.
struct ListColumn {
  size_t column = 0;
  std::string separator;
  bool distinct = false;
  bool descending = false;
};

struct SqlStatement {
  std::string sql;
  std::vector<Value> binds;  // in placeholder order
  // For selects: the schema type of each result column, to type the values.
  std::vector<schema::FieldType> column_types;
  // For selects: no path is selected twice, so a row's members can be
  // appended without a search for an existing key.
  bool distinct_columns = false;
  std::vector<ListColumn> list_columns;
  // For plain selects (no DISTINCT, GROUP BY or bound value in the select
  // list): where the select list ends in `sql`, so that a column can be
  // added to it; 0 otherwise.
  size_t select_end = 0;
  // For plain selects: the root table, its alias, and for each result
  // column the name of the root table's column it selects as stored (""
  // for anything else: a joined column, an expression). PostgreSQL may read
  // a select of many such columns as the root row whole (pg_store.cc).
  std::string root_table;
  std::string root_alias;
  std::vector<std::string> root_columns;
};

// Finishes the GROUP_CONCAT columns of rows a select of `st` returned for
// `select` (the query's select list).
void FinishRows(const SqlStatement& st, const std::vector<std::string>& select,
                std::vector<Value>& rows);

// A value as it is bound as a parameter: booleans become 0/1.
Value BindValue(const Value& v);

// `sql` with its '?' placeholders (outside quotes) as the dialect writes
// them: $1, $2, ... for PostgreSQL.
std::string Placeholders(std::string sql, Dialect dialect);

// An identifier made from schema names, as the dialect keeps it: PostgreSQL
// cuts names after 63 bytes, so a longer one ends in a hash of the whole.
std::string Identifier(std::string name, Dialect dialect);

// A statement counting the columns named $2 of the table named $1 (0 or 1).
std::string ColumnExistsSql(Dialect dialect);

// The LIMIT and OFFSET of a select of `query` as the dialect writes them
// ("" when neither applies), their values appended to `binds`.
std::string LimitClause(const Query& query, Dialect dialect, std::vector<Value>* binds);

// Whether `v` is a text that reads as no number ("", "abc"): compared with a
// number column, PostgreSQL's SQL differs for it (the column cast to text).
bool IsTextNoNumber(const Value& v);

// Builds "SELECT ... FROM ... WHERE ... ORDER BY ... LIMIT ..." for `query`.
// A top-level `id IN (subquery)` whose subquery cannot yield a value twice
// (a unique key fixed by its equalities) is joined instead, and ORDER BY id
// then names the joined column (same rows, same order, a page stops early).
// kInvalidArgument (naming the path) for an unknown entity, field or join.
StatusOr<SqlStatement> BuildSelect(const schema::Catalog& catalog, const Query& query,
                                   Dialect dialect);

// Builds "SELECT COUNT(*) ..." for `query` (select/order/limit ignored).
StatusOr<SqlStatement> BuildCount(const schema::Catalog& catalog, const Query& query,
                                  Dialect dialect);

// An INSERT of a row's columns, in two steps so that many rows with the same
// columns in the same order share one: the SQL and the field of each column
// are found once (PlanInsert; kInvalidArgument for an unknown column), then
// each row's values are bound by position (InsertBinds). With `with_id` the
// statement also sets the id (handed out by the caller).
struct InsertPlan {
  std::string sql;
  std::vector<const schema::Field*> fields;  // one per column of the row, in order
  std::vector<bool> logged;  // per column: whether a change row shows it (ChangeLogShows)
  // Per column: a create's change text for it up to its new value,
  // "name":[null,  (made once here, not per row logged).
  std::vector<std::string> created_heads;
  bool with_id = false;
};
// Whether a change log row may show `f`'s values: never a secret's, whatever
// its entity calls it (change_log.cc).
bool ChangeLogShows(const schema::Field& f);
StatusOr<InsertPlan> PlanInsert(const schema::Entity& entity, const Value& row, Dialect dialect,
                                bool with_id);
// `row` has the plan's columns in the plan's order; `id` is used when the
// plan sets it.
std::vector<Value> InsertBinds(const InsertPlan& plan, const Value& row, int64_t id);
// What an insert writes for `value` of field `f`, before BindValue: the
// value, or the default of a flag given as null.
const Value& InsertedValue(const schema::Field& f, const Value& value);

// Builds "UPDATE ... SET ... WHERE id = ?".
StatusOr<SqlStatement> BuildUpdate(const schema::Entity& entity, int64_t id,
                                   const Value& changes, Dialect dialect);

// The CREATE TABLE and CREATE INDEX statements of `entity` (and on
// PostgreSQL, the statistics targets of UnsampledColumns); for a derived
// entity (Entity::derived) the CREATE VIEW of its derivation.
std::vector<std::string> BuildCreateTable(const schema::Catalog& catalog,
                                          const schema::Entity& entity, Dialect dialect);

// The entity `f` links to when the link is optional and to reference data
// (schema::Entity::reference_data: a location type), else nullptr. kith's
// store checks such a link on every insert and update, on both backends
// (SqlTransaction::CheckReferenceLinks); on PostgreSQL the table gets no
// foreign key for it (its trigger, an SPI query with an executor started
// and ended per row, was about a tenth of a bulk load's server time), and a
// delete of the row linked to clears the links itself, as ON DELETE SET
// NULL would. SQLite keeps its foreign key (an index probe a row).
const schema::Entity* ReferenceTarget(const schema::Catalog& catalog, const schema::Field& f);

// The entity `f` (a field of `entity`) links to when the link is required
// and `entity`'s rows belong to the row linked to: its target reaches them
// by a reverse join (schema::ReverseJoin: a contact's emails, phones and
// addresses); else nullptr. On PostgreSQL the table gets no foreign key for
// it (its trigger, an SPI query with an executor started and ended per row,
// was about a tenth of an import's server time): kith's store checks the
// link on every insert and update (SqlTransaction::CheckStoreCheckedLinks: in the
// transaction's snapshot, and writes are serializable, so that a
// transaction deleting the owner meanwhile conflicts with this one), and
// deletes the rows with their owner, as ON DELETE CASCADE would. SQLite
// keeps its foreign key (an index probe a row).
const schema::Entity* OwnerCheckedByStore(const schema::Catalog& catalog, const schema::Entity& entity,
                                          const schema::Field& f);

// Whether `f` is an optional link of `entity`'s rows to another of its rows
// (a contact's employer and household head, a tag's parent) and `entity`
// has no required link, so that its rows go only by a delete of their own,
// never in a cascade. On PostgreSQL the table gets no foreign key for it
// (its trigger fired for every contact imported, NULL as the link was, ~3%
// of an import's server time): kith's store checks the link on every insert
// and update (SqlTransaction::CheckStoreCheckedLinks, as for an email's
// contact) and clears the links to a deleted row in its delete's statement
// (PgTransaction::Delete), as ON DELETE SET NULL did. SQLite keeps its
// foreign key.
bool SelfLinkCheckedByStore(const schema::Entity& entity, const schema::Field& f);

// PostgreSQL: drops the foreign keys of `entity`'s links OwnerCheckedByStore
// or SelfLinkCheckedByStore names (a database made before), whatever their
// names. Nothing on SQLite.
std::vector<std::string> BuildDropStoreCheckedForeignKeys(const schema::Catalog& catalog,
                                                          const schema::Entity& entity, Dialect dialect);

// PostgreSQL: the columns of `entity` that get no planner statistics of
// their own: keyed text columns (not unique: compared, ordered and indexed
// by their lowered text), which no plan estimates from (an index of keys
// has statistics of its own, gathered with the table's), and whose sort by
// citext's comparison (both sides lowered, each time) was four fifths of an
// ANALYZE of contacts. Empty on SQLite (its ANALYZE reads indexes only).
std::vector<std::string> UnsampledColumns(const schema::Entity& entity, Dialect dialect);

// Schema changes at run time (custom data). `field` must be one of
// `entity`'s fields. ALTER TABLE ... ADD COLUMN plus the CREATE INDEX of each
// of the entity's indexes covering the column (the column gets no REFERENCES
// clause: its links are checked by the API).
std::vector<std::string> BuildAddColumn(const schema::Entity& entity, const schema::Field& field,
                                        Dialect dialect);
// DROP INDEX of each index covering the column, then ALTER TABLE ... DROP COLUMN.
std::vector<std::string> BuildDropColumn(const schema::Entity& entity, const schema::Field& field,
                                         Dialect dialect);
// CREATE INDEX IF NOT EXISTS for each of the entity's indexes covering the
// column, and DROP INDEX IF EXISTS of the column's (column) and (column,
// entity_id) indexes when the entity no longer has them.
std::vector<std::string> BuildSyncIndexes(const schema::Entity& entity, const schema::Field& field,
                                          Dialect dialect);
// CREATE [UNIQUE] INDEX IF NOT EXISTS for every index BuildCreateTable
// gives `entity` (a migration adding indexes to an existing table).
std::vector<std::string> BuildCreateIndexes(const schema::Catalog& catalog,
                                            const schema::Entity& entity, Dialect dialect);

// For each index of `entity` over a keyed column (PostgreSQL: a text column
// that is not unique, indexed by its lowered text), DROP INDEX of the index
// made before keys (the column itself, citext) and CREATE INDEX of keys.
// Nothing on SQLite.
std::vector<std::string> BuildKeyIndexes(const schema::Catalog& catalog, const schema::Entity& entity,
                                         Dialect dialect);
// DROP INDEX then CREATE INDEX for each sparse index of `entity` (those over
// the rows whose column is set), for a database whose indexes were made
// before they were sparse.
std::vector<std::string> BuildRemakeSparseIndexes(const schema::Catalog& catalog,
                                                  const schema::Entity& entity, Dialect dialect);
// PostgreSQL: for each optional unique column of `entity` (a contact's
// external identifier), its UNIQUE constraint dropped for a unique index
// over only the rows that have a value (no index entry for the others), for
// a database made before. Nothing on SQLite.
std::vector<std::string> BuildUniqueWhereSetIndexes(const schema::Catalog& catalog,
                                                    const schema::Entity& entity, Dialect dialect);
// DROP TABLE IF EXISTS.
std::vector<std::string> BuildDropTable(const schema::Entity& entity, Dialect dialect);

}  // namespace kith::store::internal
