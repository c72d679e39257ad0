// SqliteStore: the embedded default Store, one SQLite file in WAL mode.
// Write transactions are serialised by a mutex (SQLite allows one writer);
// readers run in parallel on their own pooled connections.
#pragma once

#include <memory>

#include "store/store.h"

namespace kith::store::sqlite {

// Opens the database at options.sqlite_path and applies pending migrations.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options);

}  // namespace kith::store::sqlite
