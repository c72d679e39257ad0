// Backups of SQLite databases: the online backup API (a consistent copy
// while writers go on, thanks to WAL) and the integrity check of a copy.
#include <sqlite3.h>

#include <string>

#include "base/error_details.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store.h"

namespace kith::store {
namespace sqlite {

Status SqliteConnection::CopyTo(const std::string& path) {
  sqlite3* copy = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::string error;
  if (rc == SQLITE_OK) {
    // -1: every page in one step, so under one read transaction of the
    // source: the copy is one snapshot, whatever commits meanwhile.
    sqlite3_backup* backup = sqlite3_backup_init(copy, "main", db_, "main");
    if (backup == nullptr) {
      rc = sqlite3_errcode(copy);
    } else {
      int step = sqlite3_backup_step(backup, -1);
      rc = sqlite3_backup_finish(backup);
      if (step != SQLITE_DONE) rc = step;
    }
  }
  // The copy took the source's WAL mode: back to a rollback journal, so that
  // the file stands alone (no -wal beside it) and opens read-only.
  if (rc == SQLITE_OK) rc = sqlite3_exec(copy, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) error = copy != nullptr ? sqlite3_errmsg(copy) : sqlite3_errstr(rc);
  int closed = sqlite3_close(copy);
  if (rc == SQLITE_OK && closed != SQLITE_OK) {
    rc = closed;
    error = sqlite3_errstr(closed);
  }
  if (rc != SQLITE_OK) return absl::UnavailableError("cannot copy the database to " + path + ": " + error);
  return Status();
}

}  // namespace sqlite

Status CheckDatabaseFile(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    if (rc == SQLITE_CANTOPEN) return absl::NotFoundError("cannot open " + path + ": " + message);
    return absl::DataLossError(path + " is not a database: " + message);
  }
  sqlite3_stmt* st = nullptr;
  // The first 10 problems at most: enough to say what is wrong.
  rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &st, nullptr);
  std::string problems;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) break;
    const unsigned char* text = sqlite3_column_text(st, 0);
    std::string line = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
  }
  if (rc != SQLITE_DONE && problems.empty()) problems = sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (!problems.empty()) {
    return absl::DataLossError(path + " fails its integrity check: " + problems);
  }
  return Status();
}

}  // namespace kith::store
