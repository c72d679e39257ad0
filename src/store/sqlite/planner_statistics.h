// SQLite's planner statistics (sqlite_stat1), and when to gather them.
//
// Without them SQLite takes every index to be about as selective as any
// other, and may answer "members of group G named Doe" by walking the
// group's 40,000 members instead of the three Does (78 ms instead of 0.6 ms
// at 1M contacts; seconds when the pages are not in memory). kith gathers
// them when a store opens over data that has none, and after a write
// transaction once the contacts (the table every other one grows with) have
// grown fourfold since: a handful of times on the way to a million, each
// from a bounded sample (PRAGMA analysis_limit): at 1M contacts 0.05 s with
// the database in memory, 0.4 s from disk.
#ifndef KITH_STORE_SQLITE_PLANNER_STATISTICS_H_
#define KITH_STORE_SQLITE_PLANNER_STATISTICS_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/sqlite/sqlite_connection.h"

namespace kith::store::sqlite {

// The entity whose rows stand for the size of the data.
inline constexpr char kGrowthEntity[] = "Contact";

// Whether `table` has statistics.
StatusOr<bool> HasStatistics(SqliteConnection& conn, const std::string& table);

// Whether statistics gathered at `rows_then` rows (0: never) are due again at
// `rows_now`. Tables under a thousand rows go without: any plan is quick.
bool StatisticsDue(int64_t rows_then, int64_t rows_now);

// Gathers the statistics of every table and index, from a sample of each
// index; outside a transaction (ANALYZE writes sqlite_stat1 in its own).
Status GatherStatistics(SqliteConnection& conn);

}  // namespace kith::store::sqlite

#endif  // KITH_STORE_SQLITE_PLANNER_STATISTICS_H_
