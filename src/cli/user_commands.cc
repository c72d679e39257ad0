#include "cli/user_commands.h"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <iomanip>
#include <iostream>
#include <istream>
#include <ostream>

#include "base/error_details.h"
#include "cli/runtime.h"

namespace kith::cli {
namespace {

// One line of `in` without its line end; kInvalidArgument at the end of input.
StatusOr<std::string> ReadLine(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument("no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Asks for a line on the terminal of stdin with echo off.
StatusOr<std::string> Prompt(const char* question, std::istream& in) {
  std::cerr << question << std::flush;
  termios old{};
  bool terminal = tcgetattr(STDIN_FILENO, &old) == 0;
  if (terminal) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  StatusOr<std::string> line = ReadLine(in);
  if (terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::cerr << "\n";
  return line;
}

StatusOr<std::string> NewPassword(const UserAdminOptions& options, std::istream& in) {
  if (options.password_stdin || !isatty(STDIN_FILENO)) return ReadLine(in);
  KITH_ASSIGN_OR_RETURN(std::string first, Prompt("New password: ", in));
  KITH_ASSIGN_OR_RETURN(std::string again, Prompt("Again: ", in));
  if (first != again) return InvalidArgument("the two passwords differ; nothing changed");
  return first;
}

// Runs `change` in one write transaction of the data directory's store.
Status Change(const std::string& data_dir,
              const std::function<Status(Runtime&, store::Transaction&)>& change) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(data_dir));
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(true));
  KITH_RETURN_IF_ERROR(change(*rt, *txn));
  return txn->Commit();
}

}  // namespace

Status RunUserList(const UserAdminOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(false));
  KITH_ASSIGN_OR_RETURN(auto users, rt->auth->ListUsers(*txn));
  size_t name_width = 4;
  for (const auto& u : users) name_width = std::max(name_width, u.name.size());
  out << std::left << std::setw(static_cast<int>(name_width)) << "NAME" << "  " << std::setw(8)
      << "CONTACT" << "  " << std::setw(16) << "ROLE" << "  " << std::setw(6) << "ACTIVE"
      << "  API KEY\n";
  for (const auto& u : users) {
    out << std::setw(static_cast<int>(name_width)) << u.name << "  " << std::setw(8) << u.contact_id
        << "  " << std::setw(16) << u.role << "  " << std::setw(6) << (u.active ? "yes" : "no")
        << "  " << (u.api_key_set ? "set" : "none")
        << (u.role_defined ? "" : "  (role not in kith.toml: refused)") << "\n";
  }
  return Status();
}

Status RunUserRole(const UserAdminOptions& options, std::ostream& out) {
  KITH_RETURN_IF_ERROR(Change(options.data_dir, [&](Runtime& rt, store::Transaction& txn) {
    return rt.auth->SetRole(txn, options.name, options.role);
  }));
  out << "User " << options.name << " now has role " << options.role << "\n";
  return Status();
}

Status RunUserPasswd(const UserAdminOptions& options, std::istream& in, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(std::string password, NewPassword(options, in));
  if (password.empty()) return InvalidArgument("an empty password is not allowed; nothing changed");
  KITH_RETURN_IF_ERROR(Change(options.data_dir, [&](Runtime& rt, store::Transaction& txn) {
    return rt.auth->SetPassword(txn, options.name, password);
  }));
  out << "New password set for user " << options.name << " (their sessions have ended)\n";
  return Status();
}

void AddUserCommands(CLI::App& user, UserAdminOptions& options) {
  auto* list = user.add_subcommand("list", "List the users: name, contact, role, active, api key set");
  list->add_option("--data", options.data_dir, "Data directory")->required();
  auto* role = user.add_subcommand("role", "Give a user another role (at once, on every server)");
  role->add_option("name", options.name, "User name")->required();
  role->add_option("role", options.role, "viewer, editor, admin or a role of kith.toml")->required();
  role->add_option("--data", options.data_dir, "Data directory")->required();
  auto* passwd = user.add_subcommand(
      "passwd", "Set a user's password (asked without echo, or read from stdin); ends their sessions");
  passwd->add_option("name", options.name, "User name")->required();
  passwd->add_option("--data", options.data_dir, "Data directory")->required();
  passwd->add_flag("--password-stdin", options.password_stdin,
                   "Read the password from the first line of standard input");
}

bool RunParsedUserCommand(CLI::App& user, const UserAdminOptions& options, Status& status) {
  if (user.get_subcommand("list")->parsed()) {
    status = RunUserList(options, std::cout);
  } else if (user.get_subcommand("role")->parsed()) {
    status = RunUserRole(options, std::cout);
  } else if (user.get_subcommand("passwd")->parsed()) {
    status = RunUserPasswd(options, std::cin, std::cout);
  } else {
    return false;
  }
  return true;
}

}  // namespace kith::cli
