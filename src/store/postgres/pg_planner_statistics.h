// PostgreSQL's planner statistics after a bulk write.
//
// Without them (a table loaded since the last ANALYZE) the planner guesses
// row counts and value spreads, and may walk a whole table where an index
// finds a handful of rows. autovacuum gathers them in the end, but only a
// while after the load, in its own time; a bulk load (kith import,
// bench/kith_generate) gathers them itself right after it commits, for the
// tables it grew by a quarter or more since they were last gathered (and for
// those never gathered): a few times on the way to a million rows, each from
// PostgreSQL's bounded sample (at 1M contacts about a second in all).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "store/postgres/pg_connection.h"

namespace kith::store::postgres {

// Whether statistics gathered when a table had `rows_then` rows (negative:
// never) are due again after `inserted` more.
bool StatisticsDue(int64_t rows_then, int64_t inserted);

// ANALYZEs those of `inserted` (table -> rows just inserted) whose
// statistics are due; outside a transaction.
Status GatherDueStatistics(PgConnection& conn, const std::map<std::string, int64_t>& inserted);

}  // namespace kith::store::postgres
