#include "config/kith_config.h"

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::config {
namespace {

// --- Positive integer settings (README "Configure"): kith.toml name -> field,
// read and written by one loop each. ---
struct IntSetting {
  const char* name;
  int64_t& (*field)(KithConfig&);
  const char* comment;
};
#define KITH_FIELD(path) [](KithConfig& c) -> int64_t& { return c.path; }
constexpr IntSetting kIntSettings[] = {
    {"max_nesting_depth", KITH_FIELD(limits.max_nesting_depth),
     "JSON and bracket parameters (a[b][c]) nest at most this deep"},
    {"max_parameters", KITH_FIELD(limits.max_parameters),
     "form parameters per request, and members of one JSON object"},
    {"max_chain_depth", KITH_FIELD(limits.max_chain_depth),
     "chained calls (api.X.get, chain=) nest at most this deep"},
    {"max_sub_calls", KITH_FIELD(limits.max_sub_calls),
     "API calls one request may run, chained ones included"},
    {"max_multi_calls", KITH_FIELD(limits.max_multi_calls),
     "calls in one multi-call (APIv3 entity=api3, APIv4 calls=)"},
    {"max_rows", KITH_FIELD(limits.max_rows), "rows in one answer, chained rows included"},
    {"max_answer_bytes", KITH_FIELD(limits.max_answer_bytes), "bytes of one answer"},
    {"max_request_seconds", KITH_FIELD(limits.max_request_seconds),
     "a request still working after this many seconds is stopped"},
    {"max_where_conditions", KITH_FIELD(limits.max_where_conditions),
     "conditions in one APIv4 where, nested ones included"},
    {"max_connections", KITH_FIELD(max_connections),
     "open HTTP connections; past it the oldest idle one is closed"},
    {"password_threads", KITH_FIELD(security.password_threads),
     "threads that check passwords, apart from those serving requests"},
    {"password_queue", KITH_FIELD(security.password_queue),
     "password checks that may wait for them; one more is answered 429"},
    {"failed_logins_per_name", KITH_FIELD(security.failed_logins_per_name),
     "failed logins per user name in the window; more are answered 429"},
    {"failed_credentials_per_address", KITH_FIELD(security.failed_credentials_per_address),
     "failed passwords and api keys per client address in the window; more: 429"},
    {"throttle_window_seconds", KITH_FIELD(security.throttle_window_seconds),
     "the sliding window failures count in (each server process counts its own)"},
    {"webhook_timeout_seconds", KITH_FIELD(sync.webhook_timeout_seconds),
     "a webhook delivery not answered within this many seconds is retried later"},
    {"webhook_concurrency", KITH_FIELD(sync.webhook_concurrency),
     "webhook deliveries in flight per server, at most"},
    {"webhook_max_attempts", KITH_FIELD(sync.webhook_max_attempts),
     "attempts of one webhook delivery before it is marked failed"},
    {"webhook_retry_max_seconds", KITH_FIELD(sync.webhook_retry_max_seconds),
     "retries wait 1, 2, 4, ... seconds, never longer than this"},
};
#undef KITH_FIELD

const IntSetting* FindIntSetting(std::string_view key) {
  for (const IntSetting& s : kIntSettings) {
    if (key == s.name) return &s;
  }
  return nullptr;
}
// --- end of the integer settings ---

}  // namespace

// ---- Security settings (see SecuritySettings in kith_config.h).
namespace {

// A TOML basic string: "text" with \" and \\ escaped.
std::string QuotedString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// A one-line TOML array of basic strings: ["a", "b"] (escapes \" and \\).
std::optional<std::vector<std::string>> ParseStringArray(std::string_view text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return std::nullopt;
  std::vector<std::string> items;
  size_t i = 1;
  const size_t end = text.size() - 1;
  auto skip_space = [&] {
    while (i < end && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  for (;;) {
    skip_space();
    if (i == end) return items;  // empty, or after a trailing comma
    if (text[i] != '"') return std::nullopt;
    std::string item;
    for (++i;; ++i) {
      if (i >= end) return std::nullopt;  // unterminated
      if (text[i] == '"') break;
      if (text[i] == '\\') {
        if (++i >= end || (text[i] != '"' && text[i] != '\\')) return std::nullopt;
      }
      item += text[i];
    }
    items.push_back(std::move(item));
    ++i;
    skip_space();
    if (i == end) return items;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
}

// Reads `key` into `s` when it is a security setting: true when it was one,
// kInvalidArgument (by `bad`) when its value is wrong.
StatusOr<bool> ReadSecuritySetting(const std::string& key, const std::string& value,
                                   SecuritySettings& s, const std::function<Status()>& bad) {
  if (key == "durability") {
    if (value != "\"full\"" && value != "\"normal\"") return bad();
    s.durability = value.substr(1, value.size() - 2);
    return true;
  }
  if (key == "cors_origins" || key == "trusted_proxies") {
    auto items = ParseStringArray(value);
    if (!items) return bad();
    (key == "cors_origins" ? s.cors_origins : s.trusted_proxies) = std::move(*items);
    return true;
  }
  if (key == "tls_cert" || key == "tls_key") {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') return bad();
    (key == "tls_cert" ? s.tls_cert : s.tls_key) = value.substr(1, value.size() - 2);
    return true;
  }
  if (key == "require_secure_credentials") {
    if (value != "true" && value != "false") return bad();
    s.require_secure_credentials = value == "true";
    return true;
  }
  return false;
}

void WriteStringArray(std::ostream& out, const std::vector<std::string>& items) {
  out << "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out << (i == 0 ? "" : ", ") << QuotedString(items[i]);
  }
  out << "]\n";
}

void WriteSecuritySettings(std::ostream& out, const SecuritySettings& s) {
  out << "# \"full\": an acknowledged write survives a power loss; \"normal\": faster, but\n"
      << "# an OS crash or power loss may drop the last acknowledged writes.\n"
      << "durability = \"" << s.durability << "\"\n"
      << "# Web origins whose browser pages may call kith, e.g. [\"https://www.example.org\"].\n"
      << "cors_origins = ";
  WriteStringArray(out, s.cors_origins);
  out << "# HTTPS: the certificate chain and its private key (PEM files); empty: plain\n"
      << "# HTTP. `kith serve --tls-cert FILE --tls-key FILE` take precedence.\n"
      << "tls_cert = " << QuotedString(s.tls_cert) << "\n"
      << "tls_key = " << QuotedString(s.tls_key) << "\n"
      << "# true: api keys, passwords and session cookies are refused over plain HTTP,\n"
      << "# except from this machine (loopback) or through a trusted proxy that says\n"
      << "# its client used HTTPS (X-Forwarded-Proto: https).\n"
      << "require_secure_credentials = " << (s.require_secure_credentials ? "true" : "false")
      << "\n"
      << "# Reverse proxies (addresses or CIDR ranges, e.g. [\"10.0.0.1\", \"10.1.0.0/16\"])\n"
      << "# whose X-Forwarded-For and X-Forwarded-Proto are believed; ignored from others.\n"
      << "trusted_proxies = ";
  WriteStringArray(out, s.trusted_proxies);
}

// A role's name: what the User row's role column holds (16 characters).
bool IsRoleName(std::string_view name) {
  if (name.empty() || name.size() > 16) return false;
  for (char c : name) {
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_' && c != '-') return false;
  }
  return true;
}

void WriteRoles(std::ostream& out, const std::vector<RoleSetting>& roles) {
  out << "# Roles beyond viewer, editor and admin: sets of CiviCRM permission names, e.g.\n"
      << "# [roles.fundraiser]\n"
      << "# permissions = [\"access CiviCRM\", \"view all contacts\", \"edit all contacts\"]\n";
  for (const RoleSetting& role : roles) {
    out << "[roles." << role.name << "]\npermissions = ";
    WriteStringArray(out, role.permissions);
  }
}

}  // namespace
// ---- end of the security settings

// ---- Change log settings (see SyncSettings in kith_config.h).
namespace {

StatusOr<bool> ReadSyncSetting(const std::string& key, const std::string& value, SyncSettings& s,
                               const std::function<Status()>& bad) {
  if (key == "change_log") {
    if (value != "true" && value != "false") return bad();
    s.change_log = value == "true";
    return true;
  }
  if (key == "change_log_retention_days") {
    auto n = ParseInt64(value);
    if (!n || *n < 0) return bad();
    s.change_log_retention_days = *n;
    return true;
  }
  return false;
}

void WriteSyncSettings(std::ostream& out, const SyncSettings& s) {
  out << "# true: every create, update and delete is recorded in ChangeLog (webhooks\n"
      << "# deliver from it); false: nothing is recorded and webhooks get nothing.\n"
      << "change_log = " << (s.change_log ? "true" : "false") << "\n"
      << "# Changes older than this many days are dropped (once every webhook has them); 0: never.\n"
      << "change_log_retention_days = " << s.change_log_retention_days << "\n";
}

}  // namespace
// ---- end of the change log settings

// ---- Operations settings (see OperationsSettings in kith_config.h).
namespace {

// A TOML basic string on one line: "text" (escapes \" and \\).
std::optional<std::string> ParseBasicString(std::string_view text) {
  auto items = ParseStringArray("[" + std::string(text) + "]");
  if (!items || items->size() != 1) return std::nullopt;
  return std::move((*items)[0]);
}

StatusOr<bool> ReadOperationsSetting(const std::string& key, const std::string& value,
                                     OperationsSettings& s, const std::function<Status()>& bad) {
  if (key == "metrics") {
    auto v = ParseBasicString(value);
    if (!v || (*v != "off" && *v != "loopback" && *v != "open")) return bad();
    s.metrics = *v;
    return true;
  }
  if (key == "access_log") {
    auto v = ParseBasicString(value);
    if (!v || v->empty()) return bad();
    s.access_log = *v;
    return true;
  }
  return false;
}

void WriteOperationsSettings(std::ostream& out, const OperationsSettings& s) {
  out << "# Who may read GET /metrics (Prometheus): \"off\", \"loopback\" (this machine only)\n"
      << "# or \"open\".\n"
      << "metrics = " << QuotedString(s.metrics) << "\n"
      << "# One JSON line per request: \"off\", \"stderr\" or a file path (reopened on SIGHUP).\n"
      << "access_log = " << QuotedString(s.access_log) << "\n";
}

}  // namespace
// ---- end of the operations settings

std::string ConfigPath(const std::string& data_dir) { return data_dir + "/kith.toml"; }
std::string DatabasePath(const std::string& data_dir) { return data_dir + "/kith.db"; }

StatusOr<KithConfig> LoadConfig(const std::string& data_dir) {
  std::ifstream in(ConfigPath(data_dir));
  if (!in) return NotFound("no kith.toml in " + data_dir + " (run `kith init --data " + data_dir + "`)");
  KithConfig config;
  std::string line;
  int number = 0;
  RoleSetting* role = nullptr;  // inside a [roles.NAME] section
  while (std::getline(in, line)) {
    ++number;
    std::string_view text = TrimAscii(line);
    if (text.empty() || text[0] == '#') continue;
    if (text.front() == '[') {
      // Sections: only [roles.NAME]; every line after one belongs to it.
      std::string_view name = text.substr(1, text.size() - (text.back() == ']' ? 2 : 1));
      if (text.back() != ']' || name.rfind("roles.", 0) != 0 || !IsRoleName(name.substr(6))) {
        return InvalidArgument("kith.toml line " + std::to_string(number) +
                               ": expected [roles.NAME] (NAME: up to 16 of a-z, 0-9, _ and -)");
      }
      for (const RoleSetting& r : config.roles) {
        if (r.name == name.substr(6)) {
          return InvalidArgument("kith.toml line " + std::to_string(number) + ": role " +
                                 r.name + " is defined twice");
        }
      }
      role = &config.roles.emplace_back(RoleSetting{std::string(name.substr(6)), {}});
      continue;
    }
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("kith.toml line " + std::to_string(number) + ": expected key = value");
    }
    std::string key(TrimAscii(text.substr(0, eq)));
    std::string value(TrimAscii(text.substr(eq + 1)));
    auto bad = [&] {
      return InvalidArgument("kith.toml line " + std::to_string(number) + ": bad value for " + key);
    };
    if (role != nullptr) {
      auto permissions = key == "permissions" ? ParseStringArray(value) : std::nullopt;
      if (!permissions) {
        return InvalidArgument("kith.toml line " + std::to_string(number) + ": a role takes " +
                               "permissions = [\"CiviCRM permission\", ...] only");
      }
      role->permissions = std::move(*permissions);
    } else if (key == "site_key") {
      if (value.size() < 2 || value.front() != '"' || value.back() != '"') return bad();
      config.site_key = value.substr(1, value.size() - 2);
    } else if (key == "session_idle_seconds" || key == "body_limit_bytes") {
      auto n = ParseInt64(value);
      if (!n || *n <= 0) return bad();
      (key == "session_idle_seconds" ? config.session_idle_seconds : config.body_limit_bytes) = *n;
    } else if (key == "honest_http_status") {
      if (value != "true" && value != "false") return bad();
      config.honest_http_status = value == "true";
    } else if (key == "q_dialect") {
      if (value != "\"3.2\"" && value != "\"v3\"") return bad();
      config.q_dialect = value.substr(1, value.size() - 2);
    } else if (key == "database") {
      if (value.size() < 2 || value.front() != '"' || value.back() != '"') return bad();
      config.database = value.substr(1, value.size() - 2);
    } else if (key == "database_pool_size") {
      auto n = ParseInt64(value);
      if (!n || *n <= 0 || *n > 1000) return bad();
      config.database_pool_size = *n;
    } else if (const IntSetting* setting = FindIntSetting(key)) {
      auto n = ParseInt64(value);
      if (!n || *n <= 0) return bad();
      setting->field(config) = *n;
    } else {
      KITH_ASSIGN_OR_RETURN(bool known, ReadSecuritySetting(key, value, config.security, bad));
      if (!known) {
        KITH_ASSIGN_OR_RETURN(known, ReadSyncSetting(key, value, config.sync, bad));
        if (!known) {
          KITH_ASSIGN_OR_RETURN(known, ReadOperationsSetting(key, value, config.operations, bad));
        }
      }
      if (!known) {
        return InvalidArgument("kith.toml line " + std::to_string(number) + ": unknown setting " + key);
      }
    }
  }
  if (config.site_key.size() < 8) return InvalidArgument("kith.toml: site_key must have at least 8 characters");
  return config;
}

Status WriteConfig(const std::string& data_dir, const KithConfig& config) {
  std::ostringstream out;
  out << "# kith settings for this data directory.\n"
      << "# The site key: clients send it as key= (3.2 and APIv3) or X-Civi-Key (APIv4).\n"
      << "site_key = \"" << config.site_key << "\"\n"
      << "# Sessions (PHPSESSID) end after this many idle seconds.\n"
      << "session_idle_seconds = " << config.session_idle_seconds << "\n"
      << "# Requests with a larger body are refused with 413.\n"
      << "body_limit_bytes = " << config.body_limit_bytes << "\n"
      << "# true: 3.2 and APIv3 errors get honest HTTP statuses instead of CiviCRM's 200.\n"
      << "honest_http_status = " << (config.honest_http_status ? "true" : "false") << "\n"
      << "# What q=civicrm/<entity>/<action> speaks: \"3.2\" (CiviCRM 3.2's dialect; version=3\n"
      << "# picks APIv3) or \"v3\" (APIv3, as CiviCRM 4.2 and later answer it).\n"
      << "q_dialect = \"" << config.q_dialect << "\"\n"
      << "# Limits on one request and on connections, password checks and throttling\n"
      << "# (README \"Configure\").\n";
  KithConfig values = config;  // the table's fields are reached through a mutable config
  for (const IntSetting& s : kIntSettings) {
    out << "# " << s.comment << "\n" << s.name << " = " << s.field(values) << "\n";
  }
  WriteSecuritySettings(out, config.security);
  WriteSyncSettings(out, config.sync);
  WriteOperationsSettings(out, config.operations);
  if (!config.database.empty()) {
    out << "# The PostgreSQL database (instead of SQLite in kith.db), and how many\n"
        << "# connections to it this server opens at most.\n"
        << "database = \"" << config.database << "\"\n"
        << "database_pool_size = " << config.database_pool_size << "\n";
  }
  WriteRoles(out, config.roles);  // last: a section holds every line after it
  std::string path = ConfigPath(data_dir);
  {
    std::ofstream file(path, std::ios::trunc);
    if (!file) return absl::UnavailableError("cannot write " + path);
    file << out.str();
    if (!file) return absl::UnavailableError("cannot write " + path);
  }
  chmod(path.c_str(), 0600);
  return Status();
}

}  // namespace kith::config
