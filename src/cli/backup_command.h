// `kith backup` and `kith restore`: a data directory to one file and back,
// while the server runs and writes.
//
// The backup file is a POSIX tar archive (any tar tool lists it):
//   KITH-BACKUP   first: {"format":"kith-backup","version":1,"created":...,
//                 "database":"kith.db"}
//   kith.db       the SQLite database as one read transaction saw it
//                 (Store::Backup), checked before it is archived
//   kith.toml ... every other file of the data directory (the settings with
//                 the site key, extensions/), as they were when copied
// The live database's own files (kith.db, -wal, -shm, -journal) and an
// access log kept inside the directory are left out.
// A data directory on PostgreSQL is refused: pg_dump backs that database up
// (docs/operations.md, "Backup and restore").
#pragma once

#include <iosfwd>
#include <string>

#include "base/status.h"

namespace kith::cli {

struct BackupOptions {
  std::string data_dir;
  std::string output;  // the archive to create; must not exist
};
// Writes the backup of DATA to `output` (mode 0600: it holds the site key),
// through a temporary file beside it renamed at the end. kAlreadyExists
// when `output` exists; kFailedPrecondition for a PostgreSQL data directory.
Status RunBackup(const BackupOptions& options, std::ostream& out);

struct RestoreOptions {
  std::string data_dir;  // the data directory to make; absent or empty
  std::string input;     // an archive written by `kith backup`
};
// Makes `data_dir` from a backup, checks its database (integrity check)
// and opens it once as `kith serve` would. kAlreadyExists when `data_dir`
// is not empty; kDataLoss for a damaged archive or database (and nothing
// is left of `data_dir` then).
Status RunRestore(const RestoreOptions& options, std::ostream& out);

}  // namespace kith::cli
