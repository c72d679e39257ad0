// PostgreSQL's planner statistics after a bulk write.
//
// Without them (a table loaded since the last ANALYZE) the planner guesses
// row counts and value spreads, and may walk a whole table where an index
// finds a handful of rows. autovacuum gathers them in the end, but only a
// while after the load, in its own time; a bulk load (kith import,
// bench/kith_generate) gathers them itself right after it commits, for the
// tables never gathered and those grown fourfold since they last were (as
// SQLite's, store/sqlite/planner_statistics.h): a few times on the way to a
// million rows, each from PostgreSQL's bounded sample. The growth counts
// from the last gathering, not per transaction: an import commits every
// 10,000 rows, and gathering after each commit that grew a table by a
// quarter was two fifths of a 100k import's server time (ANALYZE sorts each
// text column's sample, comparing citext values).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "store/postgres/pg_connection.h"

namespace kith::store::postgres {

// Whether statistics gathered when a table had `rows_then` rows (negative:
// never) are due again now that it has `rows_now`.
bool StatisticsDue(int64_t rows_then, int64_t rows_now);

// ANALYZEs those of `inserted` (table -> rows just inserted) whose
// statistics are due; outside a transaction.
Status GatherDueStatistics(PgConnection& conn, const std::map<std::string, int64_t>& inserted);

}  // namespace kith::store::postgres
