#include "store/sqlite/planner_statistics.h"

namespace kith::store::sqlite {

StatusOr<bool> HasStatistics(SqliteConnection& conn, const std::string& table) {
  KITH_ASSIGN_OR_RETURN(
      int64_t has_table,
      conn.RunScalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'", {}));
  if (has_table == 0) return false;
  KITH_ASSIGN_OR_RETURN(int64_t rows,
                        conn.RunScalar("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = ?", {table}));
  return rows > 0;
}

bool StatisticsDue(int64_t rows_then, int64_t rows_now) {
  constexpr int64_t kSmallTable = 1000;
  constexpr int64_t kGrowth = 4;
  if (rows_now < kSmallTable) return false;
  return rows_then == 0 || rows_now >= kGrowth * rows_then;
}

Status GatherStatistics(SqliteConnection& conn) {
  // About a thousand rows sampled per index: enough to tell a selective
  // index from an unselective one.
  return conn.Exec("PRAGMA analysis_limit = 1000; ANALYZE;");
}

}  // namespace kith::store::sqlite
