// kith: a CRM server speaking CiviCRM's REST interfaces. The only file with
// main(): it parses the command line and hands off to a subcommand.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/api_command.h"
#include "cli/backup_command.h"
#include "cli/commands.h"
#include "cli/export_command.h"
#include "cli/import_command.h"
#include "cli/migrate_store_command.h"
#include "cli/openapi_command.h"
#include "cli/user_commands.h"

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
  user_add->add_option("--role", user.role, "admin, editor, viewer or a role of kith.toml")
      ->required();
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
  kith::cli::UserAdminOptions user_admin;
  kith::cli::AddUserCommands(*user_cmd, user_admin);

  kith::cli::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the REST interfaces in the foreground");
  serve_cmd->add_option("--data", serve.data_dir, "Data directory")->required();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--threads", serve.threads, "Server threads (default 2)");
  serve_cmd->add_option("--tls-cert", serve.tls_cert, "Serve HTTPS: the certificate chain (PEM)");
  serve_cmd->add_option("--tls-key", serve.tls_key, "Serve HTTPS: the certificate's private key (PEM)");

  kith::cli::ExtListOptions ext_list;
  auto* ext_cmd = app.add_subcommand("ext", "Extensions (DATA/extensions/*.lua)");
  ext_cmd->require_subcommand(1);
  auto* ext_list_cmd = ext_cmd->add_subcommand("list", "List the extensions, their actions and load errors");
  ext_list_cmd->add_option("--data", ext_list.data_dir, "Data directory")->required();

  kith::cli::ImportOptions import;
  auto* import_cmd = app.add_subcommand(
      "import", "Create (or match and update) records from a CSV file; header row: APIv4 field names");
  import_cmd->add_option("file", import.file, "CSV file, or - for standard input")->required();
  import_cmd->add_option("--data", import.data_dir, "Data directory")->required();
  import_cmd->add_option("--entity", import.entity, "APIv4 entity (default Contact)");
  import_cmd->add_option("--map", import.map, "COLUMN=field,... (an empty field ignores the column)");
  import_cmd->add_option("--match", import.match, "find existing contacts by id, external_identifier or email")
      ->check(CLI::IsMember({"id", "external_identifier", "email"}));
  import_cmd->add_option("--on-match", import.on_match, "update, skip (default) or fail a matched row")
      ->check(CLI::IsMember({"update", "skip", "fail"}));
  import_cmd->add_option("--group", import.groups, "add every contact to this group (repeatable)");
  import_cmd->add_option("--tag", import.tags, "tag every contact with this tag (repeatable)");
  import_cmd->add_option("--batch", import.batch, "rows per transaction (default 10000)");
  import_cmd->add_flag("--all-or-nothing", import.all_or_nothing, "one transaction: any bad row stops all");
  import_cmd->add_option("--rejects", import.rejects, "CSV file for the rejected rows (line, reason, row)");
  import_cmd->add_option("--progress-every", import.progress_every,
                         "seconds between progress lines when stderr is not a terminal (default 10)");

  kith::cli::ApiOptions api;
  auto* api_cmd = app.add_subcommand("api", "One APIv4 call, as cv api4 (see README)");
  api_cmd->add_option("entity", api.entity, "APIv4 entity");
  api_cmd->add_option("action", api.action, "APIv4 action");
  api_cmd->add_flag("--openapi", api.openapi, "print the OpenAPI 3.1 document of APIv4 instead of a call");
  api_cmd->add_option("args", api.args, "field=value, param=value, +s/+w/+o/+l/+v EXPR, {json}");
  api_cmd->add_option("--json", api.json, "params as a JSON object");
  api_cmd->add_option("--data", api.data_dir, "Data directory (or --url)");
  api_cmd->add_option("--user", api.user, "with --data: run as this user (default: as an admin)");
  api_cmd->add_option("--url", api.url, "http://HOST:PORT of a running kith (or --data)");
  api_cmd->add_option("--api-key", api.api_key, "with --url: the caller's api key");
  api_cmd->add_option("--site-key", api.site_key, "with --url: the site key, when the user needs it");
  api_cmd->add_option("--format", api.format, "json (default), table or csv")
      ->check(CLI::IsMember({"json", "table", "csv"}));

  kith::cli::ExportOptions export_options;
  auto* export_cmd = app.add_subcommand("export", "Write every matching record as CSV or NDJSON");
  export_cmd->add_option("--data", export_options.data_dir, "Data directory")->required();
  export_cmd->add_option("--entity", export_options.entity, "APIv4 entity (default Contact)");
  export_cmd->add_option("--select", export_options.select, "fields a,b,c (default: what import takes back)");
  export_cmd->add_option("--where", export_options.where, "APIv4 where, as JSON");
  export_cmd->add_option("--format", export_options.format, "csv (default) or ndjson")
      ->check(CLI::IsMember({"csv", "ndjson"}));
  export_cmd->add_option("--output", export_options.output, "file to write (default: standard output)");
  export_cmd->add_option("--page", export_options.page, "records read at a time (default 1000)");

  kith::cli::MigrateStoreOptions migrate_store;
  auto* migrate_store_cmd = kith::cli::AddMigrateStoreCommand(app, migrate_store);

  kith::cli::OpenApiOptions openapi;
  auto* openapi_cmd = app.add_subcommand(
      "openapi", "Print the OpenAPI 3.1 document of APIv4 (as served at /civicrm/ajax/api4/openapi.json)");
  openapi_cmd->add_option("--data", openapi.data_dir, "Data directory")->required();

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
  } else if (kith::cli::RunParsedUserCommand(*user_cmd, user_admin, status)) {
  } else if (serve_cmd->parsed()) {
    status = kith::cli::RunServe(serve, std::cout);
  } else if (ext_list_cmd->parsed()) {
    status = kith::cli::RunExtList(ext_list, std::cout);
  } else if (import_cmd->parsed()) {
    status = kith::cli::RunImport(import, std::cout);
  } else if (api_cmd->parsed()) {
    status = kith::cli::RunApi(api, std::cout);
  } else if (export_cmd->parsed()) {
    status = kith::cli::RunExport(export_options, std::cout);
  } else if (migrate_store_cmd->parsed()) {
    status = kith::cli::RunMigrateStore(migrate_store, std::cout);
  } else if (openapi_cmd->parsed()) {
    status = kith::cli::RunOpenApi(openapi, std::cout);
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
