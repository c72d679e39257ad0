// `kith migrate-store --data DIR --to postgresql://...`: moves a data
// directory's SQLite database into an empty PostgreSQL database, then
// points DIR's kith.toml at it.
#pragma once

#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

#include "base/status.h"

namespace kith::cli {

struct MigrateStoreOptions {
  std::string data_dir;
  std::string to;  // the PostgreSQL URL
};

// Adds the subcommand to `app`, its options parsed into `options`.
CLI::App* AddMigrateStoreCommand(CLI::App& app, MigrateStoreOptions& options);

// Copies every row (ids, custom tables, users, key hashes, sessions) into
// the database at options.to, which must hold no tables; checks each
// table's count in both; only then writes the URL into DIR/kith.toml
// (DIR/kith.db stays, unused). kAlreadyExists for a database with tables,
// kFailedPrecondition for a data directory already on PostgreSQL.
Status RunMigrateStore(const MigrateStoreOptions& options, std::ostream& out);

}  // namespace kith::cli
