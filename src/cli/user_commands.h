// `kith user list | role | passwd`: looking after login users from the
// command line. The changes go through the store, so a running server (or
// every server of one PostgreSQL database) sees them on the user's next
// request.
#pragma once

#include <iosfwd>
#include <string>

#include "base/status.h"

namespace CLI {
class App;
}

namespace kith::cli {

struct UserAdminOptions {
  std::string data_dir;
  std::string name;
  std::string role;             // `user role`
  bool password_stdin = false;  // `user passwd`: the first line of stdin, no prompt
};

// `user list`: one line per user: name, contact id, role, active, whether an
// api key is set (never the key).
Status RunUserList(const UserAdminOptions& options, std::ostream& out);
// `user role NAME ROLE`: a built-in role or one of kith.toml's [roles.NAME].
Status RunUserRole(const UserAdminOptions& options, std::ostream& out);
// `user passwd NAME`: the new password from a prompt without echo (twice,
// when stdin is a terminal) or the first line of stdin; the user's sessions
// end.
Status RunUserPasswd(const UserAdminOptions& options, std::istream& in, std::ostream& out);

// Adds list, role and passwd under `user` (main.cc); after parsing,
// RunParsedUserCommand runs the one given.
void AddUserCommands(CLI::App& user, UserAdminOptions& options);
// True when one of them was parsed; `status` is its outcome.
bool RunParsedUserCommand(CLI::App& user, const UserAdminOptions& options, Status& status);

}  // namespace kith::cli
