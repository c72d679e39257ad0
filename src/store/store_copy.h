// Copying a whole store into another (kith migrate-store: an SQLite data
// directory into an empty PostgreSQL database): every row of every table,
// built-in and custom, with its id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace kith::store {

// Whether the database `options` name holds no tables yet (PostgreSQL: its
// public schema), so that a copy into it overwrites nothing. Checked
// before OpenStore, which migrates it.
StatusOr<bool> DatabaseIsEmpty(const StoreOptions& options);

struct TableCopy {
  std::string entity;
  int64_t rows = 0;  // in the source, and found in the target after the copy
};

// Copies every row of `from` into `to`, a store just opened on an empty
// database (it holds only what its migrations wrote, which the copy
// replaces): the built-in tables in the order of their links, then the
// custom groups' tables, created in `to` from the copied custom fields. Ids
// are kept (and `to`'s id sequences moved past them). One read transaction
// of `from` and one write transaction of `to`: all of it or nothing. Then
// counts each table's rows in both, in new transactions, and fails naming
// the first table whose counts differ. The tables copied, with their rows.
StatusOr<std::vector<TableCopy>> CopyStore(Store& from, Store& to);

}  // namespace kith::store
