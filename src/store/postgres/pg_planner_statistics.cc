#include "store/postgres/pg_planner_statistics.h"

#include <vector>

#include "base/strings.h"

namespace kith::store::postgres {

bool StatisticsDue(int64_t rows_then, int64_t inserted) {
  return inserted > 0 && (rows_then < 0 || inserted * 4 >= rows_then);
}

Status GatherDueStatistics(PgConnection& conn, const std::map<std::string, int64_t>& inserted) {
  std::vector<std::string> tables;
  for (const auto& [table, rows] : inserted) tables.push_back(table);
  // reltuples: the row count as of the last ANALYZE (or VACUUM); -1 before.
  static const std::vector<std::string> kKeys = {"name", "rows"};
  static const std::vector<schema::FieldType> kTypes = {schema::FieldType::kString,
                                                        schema::FieldType::kInt};
  std::vector<Value> rows;
  KITH_RETURN_IF_ERROR(conn.Run(
      "SELECT relname, CAST(reltuples AS BIGINT) FROM pg_class WHERE relkind = 'r' AND "
      "relnamespace = CAST(current_schema() AS regnamespace) AND "
      "relname = ANY(string_to_array($1, ','))",
      {Join(tables, ",")}, &kKeys, &kTypes, &rows));
  std::vector<std::string> due;
  for (const Value& row : rows) {
    const std::string& table = row["name"].get_ref<const std::string&>();
    if (StatisticsDue(row["rows"].get<int64_t>(), inserted.at(table))) due.push_back(table);
  }
  // The names come from the schema (pg_class echoes them), never from input.
  if (due.empty()) return Status();
  return conn.Exec("ANALYZE " + Join(due, ", "));
}

}  // namespace kith::store::postgres
