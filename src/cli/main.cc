// kith: a CRM server speaking CiviCRM's REST interfaces. The only file with
// main(): it parses the command line and hands off to a subcommand.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/backup_command.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kith: a CRM server that speaks CiviCRM's REST interfaces"};
  app.require_subcommand(1);

  kith::cli::InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "Create a data directory with a site key and a database");
  init_cmd->add_option("--data", init.data_dir, "Data directory to create")->required();
  init_cmd->add_option("--site-key", init.site_key, "Site key (random when not given)");
  init_cmd->add_option("--database", init.database,
                       "PostgreSQL URL (postgresql://USER@HOST:PORT/DB) instead of SQLite in DATA");

  kith::cli::UserAddOptions user;
  auto* user_cmd = app.add_subcommand("user", "Manage login users");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add", "Add a user linked to a new Individual contact");
  user_add->add_option("name", user.name, "User name")->required();
  user_add->add_option("--data", user.data_dir, "Data directory")->required();
  user_add->add_option("--password", user.password, "Password")->required();
  user_add->add_option("--role", user.role, "admin, editor or viewer")
      ->required()
      ->check(CLI::IsMember({"admin", "editor", "viewer"}));
  user_add->add_option("--api-key", user.api_key, "api key (random when not given)");

  kith::cli::UserChangeOptions user_change;
  auto* user_key = user_cmd->add_subcommand("key", "Give a user a new api key (the old one stops working)");
  user_key->add_option("--api-key", user_change.api_key, "the new api key (random when not given)");
  auto* user_disable = user_cmd->add_subcommand("disable", "Refuse a user's api key, sessions and password");
  auto* user_enable = user_cmd->add_subcommand("enable", "Let a disabled user in again");
  for (CLI::App* cmd : {user_key, user_disable, user_enable}) {
    cmd->add_option("name", user_change.name, "User name")->required();
    cmd->add_option("--data", user_change.data_dir, "Data directory")->required();
  }

  kith::cli::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the REST interfaces in the foreground");
  serve_cmd->add_option("--data", serve.data_dir, "Data directory")->required();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--threads", serve.threads, "Server threads (default 2)");

  kith::cli::ExtListOptions ext_list;
  auto* ext_cmd = app.add_subcommand("ext", "Extensions (DATA/extensions/*.lua)");
  ext_cmd->require_subcommand(1);
  auto* ext_list_cmd = ext_cmd->add_subcommand("list", "List the extensions, their actions and load errors");
  ext_list_cmd->add_option("--data", ext_list.data_dir, "Data directory")->required();

  kith::cli::ImportOptions import;
  auto* import_cmd = app.add_subcommand(
      "import", "Create records from a CSV file (header row: APIv4 field names), all or none");
  import_cmd->add_option("file", import.file, "CSV file, or - for standard input")->required();
  import_cmd->add_option("--data", import.data_dir, "Data directory")->required();
  import_cmd->add_option("--entity", import.entity, "APIv4 entity (default Contact)");

  kith::cli::BackupOptions backup;
  auto* backup_cmd = app.add_subcommand(
      "backup", "Copy a data directory (a consistent database copy, settings, extensions) to one file while it serves");
  backup_cmd->add_option("--data", backup.data_dir, "Data directory")->required();
  backup_cmd->add_option("--output", backup.output, "The backup file to create (a tar archive)")->required();
  kith::cli::RestoreOptions restore;
  auto* restore_cmd = app.add_subcommand("restore", "Make a new data directory from a `kith backup` file");
  restore_cmd->add_option("--data", restore.data_dir, "Data directory to create (absent or empty)")->required();
  restore_cmd->add_option("--input", restore.input, "The backup file")->required();

  CLI11_PARSE(app, argc, argv);

  kith::Status status;
  if (init_cmd->parsed()) {
    status = kith::cli::RunInit(init, std::cout);
  } else if (user_add->parsed()) {
    status = kith::cli::RunUserAdd(user, std::cout);
  } else if (user_key->parsed()) {
    status = kith::cli::RunUserKey(user_change, std::cout);
  } else if (user_disable->parsed() || user_enable->parsed()) {
    status = kith::cli::RunUserSetActive(user_change, user_enable->parsed(), std::cout);
  } else if (serve_cmd->parsed()) {
    status = kith::cli::RunServe(serve, std::cout);
  } else if (ext_list_cmd->parsed()) {
    status = kith::cli::RunExtList(ext_list, std::cout);
  } else if (import_cmd->parsed()) {
    status = kith::cli::RunImport(import, std::cout);
  } else if (backup_cmd->parsed()) {
    status = kith::cli::RunBackup(backup, std::cout);
  } else if (restore_cmd->parsed()) {
    status = kith::cli::RunRestore(restore, std::cout);
  }
  if (!status.ok()) {
    std::cerr << "kith: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
