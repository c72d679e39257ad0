// PgStore: the Store over a PostgreSQL database that several kith servers
// may share. Writing transactions run SERIALIZABLE (the guarantees of
// SQLite's single writer: a conflicting one is refused as retryable, see
// store::RunWithRetries); reading ones REPEATABLE READ READ ONLY, one
// snapshot each. Connections come from a bounded pool.
#pragma once

#include <memory>

#include "store/store.h"

namespace kith::store::postgres {

// Connects to options.database_url and applies pending migrations (once,
// when several servers start together on an empty database).
StatusOr<std::unique_ptr<Store>> OpenPgStore(const StoreOptions& options);

// Whether the database at `url` has no tables in its public schema.
StatusOr<bool> DatabaseIsEmpty(const std::string& url);

}  // namespace kith::store::postgres
