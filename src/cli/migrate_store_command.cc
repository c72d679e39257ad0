#include "cli/migrate_store_command.h"

#include <ostream>

#include "base/error_details.h"
#include "cli/runtime.h"
#include "config/kith_config.h"
#include "store/store_copy.h"

namespace kith::cli {

CLI::App* AddMigrateStoreCommand(CLI::App& app, MigrateStoreOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "migrate-store", "Copy a data directory's SQLite database into an empty PostgreSQL database and use that");
  cmd->add_option("--data", options.data_dir, "Data directory (on SQLite)")->required();
  cmd->add_option("--to", options.to, "PostgreSQL URL (postgresql://USER@HOST:PORT/DB) of an empty database")
      ->required();
  return cmd;
}

Status RunMigrateStore(const MigrateStoreOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(config::KithConfig config, config::LoadConfig(options.data_dir));
  if (!config.database.empty()) {
    return absl::FailedPreconditionError(options.data_dir + " already keeps its data in PostgreSQL");
  }
  if (options.to.rfind("postgresql://", 0) != 0 && options.to.rfind("postgres://", 0) != 0) {
    return InvalidArgument("--to takes a postgresql://USER@HOST:PORT/DB URL");
  }
  store::StoreOptions source_options = StoreOptionsOf(options.data_dir, config);
  store::StoreOptions target_options = source_options;
  target_options.database_url = options.to;
  // The copied rows carry their own ChangeLog; copying them is no change.
  target_options.change_log = false;
  // Nothing of another system is overwritten (nor a half-done earlier copy
  // mixed into this one).
  KITH_ASSIGN_OR_RETURN(bool empty, store::DatabaseIsEmpty(target_options));
  if (!empty) {
    return AlreadyExists("the target database already has tables; migrate-store needs an empty one");
  }
  KITH_ASSIGN_OR_RETURN(auto source, store::OpenStore(source_options));
  KITH_ASSIGN_OR_RETURN(auto target, store::OpenStore(target_options));
  KITH_ASSIGN_OR_RETURN(std::vector<store::TableCopy> tables, store::CopyStore(*source, *target));
  int64_t rows = 0;
  for (const store::TableCopy& t : tables) {
    out << "  " << t.entity << ": " << t.rows << " rows\n";
    rows += t.rows;
  }
  config.database = options.to;
  KITH_RETURN_IF_ERROR(config::WriteConfig(options.data_dir, config));
  out << "Copied " << rows << " rows in " << tables.size() << " tables, counts checked.\n"
      << options.data_dir << "/kith.toml now names the PostgreSQL database ("
      << config::DatabasePath(options.data_dir) << " is no longer used).\n";
  return Status();
}

}  // namespace kith::cli
