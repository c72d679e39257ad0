// kith's subcommands, each a function from parsed options to a Status, so
// unit tests can call them and main() maps the Status to an exit code once.
#pragma once

#include <iosfwd>
#include <string>

#include "base/status.h"

namespace kith::cli {

struct InitOptions {
  std::string data_dir;
  std::string site_key;  // generated (40 characters) when empty
  // A PostgreSQL URL to keep the data in (recorded in kith.toml) instead of
  // SQLite in DATA/kith.db.
  std::string database;
};
// Creates DATA with kith.toml and a migrated database; prints the site key as
// the last line. kAlreadyExists when DATA already holds a kith.toml or kith.db.
Status RunInit(const InitOptions& options, std::ostream& out);

struct UserAddOptions {
  std::string data_dir;
  std::string name;
  std::string password;
  std::string role;     // admin | editor | viewer
  std::string api_key;  // generated when empty
};
// Creates a user linked to a new Individual contact (named after the user);
// prints the api key as the last line.
Status RunUserAdd(const UserAddOptions& options, std::ostream& out);

struct UserChangeOptions {
  std::string data_dir;
  std::string name;
  std::string api_key;  // `user key`: the new key, generated when empty
};
// `user key`: replaces the user's api key; prints the new one as the last
// line. The old key stops working at once, also in a running server.
Status RunUserKey(const UserChangeOptions& options, std::ostream& out);
// `user disable` / `user enable`: keeps the user out (key, sessions and
// password refused), or lets them in again.
Status RunUserSetActive(const UserChangeOptions& options, bool active, std::ostream& out);

struct ServeOptions {
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  // HTTPS with these PEM files (both, or neither: kith.toml's tls_cert and
  // tls_key then decide).
  std::string tls_cert;
  std::string tls_key;
};
// Serves until SIGINT or SIGTERM; in-flight requests finish first. SIGHUP
// reloads the extensions (DATA/extensions/*.lua) without stopping.
Status RunServe(const ServeOptions& options, std::ostream& out);

struct ExtListOptions {
  std::string data_dir;
};
// Lists DATA/extensions/*.lua: each file's actions with their permissions,
// or why it did not load ("file:line: ..."). kFailedPrecondition when any
// file failed, after listing them all.
Status RunExtList(const ExtListOptions& options, std::ostream& out);

}  // namespace kith::cli
