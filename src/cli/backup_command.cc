#include "cli/backup_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <vector>

#include "base/error_details.h"
#include "base/json_parse.h"
#include "cli/tar_archive.h"
#include "config/kith_config.h"
#include "store/store.h"

namespace kith::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kManifestName[] = "KITH-BACKUP";
constexpr char kDatabaseName[] = "kith.db";
constexpr int kFormatVersion = 1;

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

// The live database's files, which the consistent copy replaces.
bool IsDatabaseFile(const std::string& relative) {
  return relative == kDatabaseName || relative == std::string(kDatabaseName) + "-wal" ||
         relative == std::string(kDatabaseName) + "-shm" ||
         relative == std::string(kDatabaseName) + "-journal";
}

// The files and directories of DATA to archive beside the database, in a
// stable order, relative to DATA. `skip`: absolute paths to leave out.
StatusOr<std::vector<fs::directory_entry>> DataFiles(const std::string& data_dir,
                                                     const std::vector<fs::path>& skip) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::path rel = fs::relative(it->path(), data_dir);
    bool skipped = IsDatabaseFile(rel.generic_string());
    for (const fs::path& s : skip) skipped = skipped || fs::equivalent(it->path(), s, ec);
    ec.clear();
    if (skipped || it->is_symlink(ec)) continue;
    if (it->is_directory(ec) || it->is_regular_file(ec)) entries.push_back(*it);
    ec.clear();
  }
  if (ec) return absl::UnavailableError("cannot read " + data_dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path() < b.path(); });
  return entries;
}

// Writes the archive to `path`: the manifest, the database copy `db_copy`,
// then `files`.
Status WriteArchive(const std::string& path, const std::string& data_dir,
                    const std::string& db_copy, const std::vector<fs::directory_entry>& files,
                    uint64_t& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::UnavailableError("cannot create " + path);
  chmod(path.c_str(), 0600);
  TarWriter tar(file);
  Value manifest{{"format", "kith-backup"},
                 {"version", kFormatVersion},
                 {"created", UtcNow()},
                 {"database", kDatabaseName}};
  KITH_RETURN_IF_ERROR(tar.AddFile(kManifestName, manifest.dump() + "\n"));
  {
    std::ifstream db(db_copy, std::ios::binary);
    KITH_RETURN_IF_ERROR(tar.AddFile(kDatabaseName, db, fs::file_size(db_copy)));
  }
  for (const fs::directory_entry& e : files) {
    std::string rel = fs::relative(e.path(), data_dir).generic_string();
    if (e.is_directory()) {
      KITH_RETURN_IF_ERROR(tar.AddDirectory(rel));
      continue;
    }
    std::ifstream in(e.path(), std::ios::binary);
    if (!in) return absl::UnavailableError("cannot read " + e.path().string());
    KITH_RETURN_IF_ERROR(tar.AddFile(rel, in, fs::file_size(e.path())));
  }
  KITH_RETURN_IF_ERROR(tar.Finish());
  file.close();
  if (!file) return absl::UnavailableError("cannot write " + path);
  bytes = fs::file_size(path);
  return Status();
}

// Flushes `path` to disk, so that a rename after it never names a file whose
// bytes a crash lost.
void SyncFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return;
  fsync(fileno(f));
  std::fclose(f);
}

// Removes `path` at the end of the scope unless kept.
class RemoveUnlessKept {
 public:
  explicit RemoveUnlessKept(fs::path path) : path_(std::move(path)) {}
  ~RemoveUnlessKept() {
    std::error_code ec;
    if (!kept_) fs::remove_all(path_, ec);
  }
  void Keep() { kept_ = true; }

 private:
  fs::path path_;
  bool kept_ = false;
};

// Reads the manifest, the archive's first entry: kDataLoss unless it is one
// this binary reads.
Status ReadManifest(TarReader& tar, const std::string& input) {
  TarEntry entry;
  StatusOr<bool> any = tar.Next(entry);
  if (!any.ok() || !*any || entry.name != kManifestName || entry.size > 64 * 1024) {
    return absl::DataLossError(input + " is not a kith backup (it does not begin with " +
                               kManifestName + ")");
  }
  std::string text;
  KITH_RETURN_IF_ERROR(tar.ReadContent(text));
  auto manifest = ParseJson(text, "the manifest", 8, 64);
  if (!manifest.ok() || !manifest->is_object() ||
      manifest->value("format", Value()) != "kith-backup") {
    return absl::DataLossError(input + " is not a kith backup (its manifest is not one)");
  }
  if (manifest->value("version", Value()) != kFormatVersion) {
    return absl::FailedPreconditionError(input + " is a kith backup of another format version (" +
                                         manifest->value("version", Value()).dump() +
                                         "); this kith reads version 1");
  }
  return Status();
}

}  // namespace

Status RunBackup(const BackupOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(config::KithConfig config, config::LoadConfig(options.data_dir));
  if (!config.database.empty()) {
    return absl::FailedPreconditionError(
        "kith backup copies SQLite data directories; this one keeps its data in PostgreSQL "
        "(kith.toml database). Back that database up with pg_dump (pg_dump --format=custom "
        "--file=kith.pgdump DATABASE-URL) and keep kith.toml and extensions/ beside it "
        "(docs/operations.md, \"Backup and restore\")");
  }
  std::error_code ec;
  if (fs::exists(options.output, ec)) return AlreadyExists(options.output + " already exists");
  const std::string partial = options.output + ".partial";
  const std::string db_copy = options.output + ".db-copy";
  for (const std::string& p : {partial, db_copy}) {
    if (fs::exists(p, ec)) return AlreadyExists(p + " is in the way (left by a backup that stopped?)");
  }
  RemoveUnlessKept remove_partial(partial);
  RemoveUnlessKept remove_copy(db_copy);

  // The database as one read transaction sees it, while the server writes.
  {
    store::StoreOptions store_options;
    store_options.sqlite_path = config::DatabasePath(options.data_dir);
    KITH_ASSIGN_OR_RETURN(auto store, store::OpenStore(store_options));
    KITH_RETURN_IF_ERROR(store->Backup(db_copy));
  }
  std::vector<fs::path> skip = {fs::absolute(options.output), fs::absolute(partial),
                                fs::absolute(db_copy)};
  const std::string& log = config.operations.access_log;
  if (log != "off" && log != "stderr") skip.push_back(fs::absolute(log));
  KITH_ASSIGN_OR_RETURN(auto files, DataFiles(options.data_dir, skip));
  uint64_t bytes = 0;
  KITH_RETURN_IF_ERROR(WriteArchive(partial, options.data_dir, db_copy, files, bytes));
  SyncFile(partial);
  // Still absent (a backup racing this one would have made it).
  if (fs::exists(options.output, ec)) return AlreadyExists(options.output + " already exists");
  fs::rename(partial, options.output, ec);
  if (ec) return absl::UnavailableError("cannot rename " + partial + ": " + ec.message());
  remove_partial.Keep();
  out << "Backed up " << options.data_dir << " to " << options.output << " (" << files.size() + 1
      << " files and directories, " << bytes << " bytes)\n";
  return Status();
}

Status RunRestore(const RestoreOptions& options, std::ostream& out) {
  const std::string& dir = options.data_dir;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return AlreadyExists(dir + " exists and is not empty; restore makes a new data directory");
  }
  std::ifstream file(options.input, std::ios::binary);
  if (!file) return absl::NotFoundError("cannot open " + options.input);
  TarReader tar(file);
  KITH_RETURN_IF_ERROR(ReadManifest(tar, options.input));

  const bool made = !fs::exists(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError("cannot create " + dir + ": " + ec.message());
  chmod(dir.c_str(), 0700);
  // A restore that fails leaves nothing (a directory that was there stays, empty).
  RemoveUnlessKept remove_dir(made ? fs::path(dir) : fs::path());
  auto empty_dir = [&] {
    for (const auto& e : fs::directory_iterator(dir, ec)) fs::remove_all(e.path(), ec);
  };
  auto restore = [&]() -> Status {
    TarEntry entry;
    bool database = false;
    int64_t count = 0;
    for (;;) {
      KITH_ASSIGN_OR_RETURN(bool more, tar.Next(entry));
      if (!more) break;
      fs::path target = fs::path(dir) / entry.name;
      if (entry.directory) {
        fs::create_directories(target, ec);
        if (ec) return absl::UnavailableError("cannot create " + target.string());
        chmod(target.c_str(), 0700);
        continue;
      }
      fs::create_directories(target.parent_path(), ec);
      std::ofstream content(target, std::ios::binary | std::ios::trunc);
      if (!content) return absl::UnavailableError("cannot create " + target.string());
      chmod(target.c_str(), 0600);
      KITH_RETURN_IF_ERROR(tar.ReadContent(content));
      content.close();
      if (!content) return absl::UnavailableError("cannot write " + target.string());
      database = database || entry.name == kDatabaseName;
      ++count;
    }
    if (!database) return absl::DataLossError(options.input + " holds no database");
    KITH_RETURN_IF_ERROR(store::CheckDatabaseFile(config::DatabasePath(dir)));
    // Opened once as `kith serve` opens it: settings and database both.
    KITH_ASSIGN_OR_RETURN(config::KithConfig config, config::LoadConfig(dir));
    store::StoreOptions store_options;
    store_options.sqlite_path = config::DatabasePath(dir);
    KITH_RETURN_IF_ERROR(store::OpenStore(store_options).status());
    out << "Restored " << options.input << " into " << dir << " (" << count
        << " files; database integrity check ok)\n";
    return Status();
  };
  Status s = restore();
  if (!s.ok()) {
    if (!made) empty_dir();
    return s;
  }
  remove_dir.Keep();
  return Status();
}

}  // namespace kith::cli
