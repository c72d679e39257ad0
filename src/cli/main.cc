// kith: a CRM server speaking CiviCRM's REST interfaces. The only file with
// main(): it parses the command line and hands off to a subcommand.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
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
      "import", "Create records from a CSV file (header row: APIv4 field names), all or none");
  import_cmd->add_option("file", import.file, "CSV file, or - for standard input")->required();
  import_cmd->add_option("--data", import.data_dir, "Data directory")->required();
  import_cmd->add_option("--entity", import.entity, "APIv4 entity (default Contact)");

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
  }
  if (!status.ok()) {
    std::cerr << "kith: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
