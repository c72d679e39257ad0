// kith.toml: the settings of one data directory. kith reads a small TOML
// subset (key = "string" | integer | true/false | ["string", ...] on one
// line, # comments), enough for its flat settings file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/request_limits.h"
#include "base/status.h"

namespace kith::config {

// ---- Security settings (issue 18): password checks, throttling of failed
// credentials, durability of acknowledged writes, browser origins. Read and
// written by the block of the same name in kith_config.cc.
struct SecuritySettings {
  int64_t password_threads = 1;   // threads that hash and check passwords, apart from serving
  int64_t password_queue = 16;    // checks waiting for them; one more is answered 429
  int64_t failed_logins_per_name = 10;           // per window and user name (then 429)
  int64_t failed_credentials_per_address = 100;  // per window and client address (then 429)
  int64_t throttle_window_seconds = 60;          // the sliding window those count in
  std::string durability = "full";               // "full" | "normal" (SQLite synchronous)
  std::vector<std::string> cors_origins;         // browser origins allowed; none by default
  // TLS: PEM files of the certificate chain and its private key; both empty
  // serves plain HTTP (`kith serve --tls-cert/--tls-key` take precedence).
  std::string tls_cert;
  std::string tls_key;
  // Api keys, passwords and session cookies refused over plain HTTP, except
  // from loopback or through a trusted proxy that says the client used HTTPS.
  bool require_secure_credentials = true;
  // Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For and
  // X-Forwarded-Proto are believed; from anyone else they are ignored.
  std::vector<std::string> trusted_proxies;
};

// A role beyond viewer, editor and admin: kith.toml's [roles.NAME] section,
// `permissions = ["access CiviCRM", ...]` (CiviCRM permission names).
struct RoleSetting {
  std::string name;
  std::vector<std::string> permissions;
};
// ---- end of the security settings

// ---- Change log and webhook settings (issue 19; README "Following
// changes"). The webhook integers join the positive integer table in
// kith_config.cc; change_log and change_log_retention_days (0 allowed) are
// read and written by the block of the same name there.
struct SyncSettings {
  bool change_log = true;              // false: writes add nothing to ChangeLog (no webhooks)
  int64_t change_log_retention_days = 0;  // 0: keep every change; else drop older ones
  int64_t webhook_timeout_seconds = 10;   // one delivery's whole exchange
  int64_t webhook_concurrency = 4;        // deliveries in flight per server, at most
  int64_t webhook_max_attempts = 25;      // then a delivery is "failed"
  int64_t webhook_retry_max_seconds = 600;  // the longest wait between two attempts
};
// ---- end of the change log and webhook settings
// ---- Operations settings (issue 17): what a running server tells its
// operator. Read and written by the block of the same name in kith_config.cc.
struct OperationsSettings {
  // Who may read GET /metrics: "off" (404), "loopback" (clients on this
  // machine only; others get 403) or "open".
  std::string metrics = "loopback";
  // One JSON line per request: "off", "stderr" or a file path (appended
  // to; reopened on SIGHUP for log rotation).
  std::string access_log = "stderr";
};
// ---- end of the operations settings

struct KithConfig {
  std::string site_key;                        // required; >= 32 characters when generated
  int64_t session_idle_seconds = 3600;         // session idle expiry
  int64_t body_limit_bytes = 8 * 1024 * 1024;  // larger request bodies get 413
  bool honest_http_status = false;             // 3.2/v3 errors with 4xx instead of 200
  // What q=civicrm/<entity>/<action> on extern/rest.php speaks: "3.2" (the
  // 3.2 dialect; version=3 picks APIv3) or "v3" (always APIv3, as CiviCRM
  // 4.2 and later; for integrations written for those).
  std::string q_dialect = "3.2";
  // Where the data lives: "" for SQLite in DIR/kith.db; else a PostgreSQL
  // URL, postgresql://USER@HOST:PORT/DB (its password, if any, is kept here:
  // the file is readable by its owner only), shared by several servers.
  std::string database;
  int64_t database_pool_size = 16;  // PostgreSQL connections per server, at most

  // --- Limits on one request and on connections (README "Configure") ---
  // Each is a kith.toml integer > 0 named as the field: max_nesting_depth,
  // max_parameters, max_chain_depth, max_sub_calls, max_multi_calls,
  // max_rows, max_answer_bytes, max_request_seconds, max_where_conditions.
  RequestLimits limits;
  int64_t max_connections = 1000;  // open connections; past it the oldest idle one is closed
  // --- end of limits ---
  SecuritySettings security;
  SyncSettings sync;
  OperationsSettings operations;
  std::vector<RoleSetting> roles;  // in file order; written last ([roles.NAME] sections)
};

// Paths inside a data directory.
std::string ConfigPath(const std::string& data_dir);    // DIR/kith.toml
std::string DatabasePath(const std::string& data_dir);  // DIR/kith.db

// Reads DIR/kith.toml. kNotFound when missing, kInvalidArgument (with the
// line number) for a line it cannot read or a missing site_key.
StatusOr<KithConfig> LoadConfig(const std::string& data_dir);

// Writes DIR/kith.toml (mode 0600: it holds the site key).
Status WriteConfig(const std::string& data_dir, const KithConfig& config);

}  // namespace kith::config
