#include "store/postgres/pg_planner_statistics.h"

#include <algorithm>
#include <vector>

#include "base/strings.h"

namespace kith::store::postgres {

bool StatisticsDue(int64_t rows_then, int64_t rows_now) {
  return rows_now > 0 && (rows_then < 0 || rows_now >= 4 * rows_then);
}

Status GatherDueStatistics(PgConnection& conn, const std::map<std::string, int64_t>& inserted) {
  std::vector<std::string> tables;
  for (const auto& [table, rows] : inserted) tables.push_back(table);
  // reltuples and relpages: the rows and pages as of the last ANALYZE (or
  // VACUUM; reltuples -1 before). The rows now are estimated from the pages
  // now, at least those then plus the ones just inserted.
  static const std::vector<std::string> kKeys = {"name", "rows", "estimate"};
  static const std::vector<schema::FieldType> kTypes = {
      schema::FieldType::kString, schema::FieldType::kInt, schema::FieldType::kInt};
  std::vector<Value> rows;
  KITH_RETURN_IF_ERROR(conn.Run(
      "SELECT relname, CAST(reltuples AS BIGINT), CAST(CASE WHEN relpages > 0 AND reltuples > 0 "
      "THEN reltuples * pg_relation_size(oid) / (CAST(current_setting('block_size') AS FLOAT8) * "
      "relpages) ELSE 0 END AS BIGINT) FROM pg_class WHERE relkind = 'r' AND "
      "relnamespace = CAST(current_schema() AS regnamespace) AND "
      "relname = ANY(string_to_array($1, ','))",
      {Join(tables, ",")}, &kKeys, &kTypes, &rows));
  std::vector<std::string> due;
  for (const Value& row : rows) {
    const std::string& table = row["name"].get_ref<const std::string&>();
    const int64_t then = row["rows"].get<int64_t>();
    const int64_t now = std::max(row["estimate"].get<int64_t>(),
                                 std::max<int64_t>(then, 0) + inserted.at(table));
    if (StatisticsDue(then, now)) due.push_back(table);
  }
  // The names come from the schema (pg_class echoes them), never from input.
  if (due.empty()) return Status();
  return conn.Exec("ANALYZE " + Join(due, ", "));
}

}  // namespace kith::store::postgres
