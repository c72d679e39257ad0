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

// --- Limits (README "Configure"): kith.toml name -> field. ---
struct LimitSetting {
  const char* name;
  int64_t KithConfig::*plain = nullptr;
  int64_t RequestLimits::*limit = nullptr;
  const char* comment;
};
constexpr LimitSetting kLimitSettings[] = {
    {"max_nesting_depth", nullptr, &RequestLimits::max_nesting_depth,
     "JSON and bracket parameters (a[b][c]) nest at most this deep"},
    {"max_parameters", nullptr, &RequestLimits::max_parameters,
     "form parameters per request, and members of one JSON object"},
    {"max_chain_depth", nullptr, &RequestLimits::max_chain_depth,
     "chained calls (api.X.get, chain=) nest at most this deep"},
    {"max_sub_calls", nullptr, &RequestLimits::max_sub_calls,
     "API calls one request may run, chained ones included"},
    {"max_multi_calls", nullptr, &RequestLimits::max_multi_calls,
     "calls in one multi-call (APIv3 entity=api3, APIv4 calls=)"},
    {"max_rows", nullptr, &RequestLimits::max_rows, "rows in one answer, chained rows included"},
    {"max_answer_bytes", nullptr, &RequestLimits::max_answer_bytes, "bytes of one answer"},
    {"max_request_seconds", nullptr, &RequestLimits::max_request_seconds,
     "a request still working after this many seconds is stopped"},
    {"max_where_conditions", nullptr, &RequestLimits::max_where_conditions,
     "conditions in one APIv4 where, nested ones included"},
    {"max_connections", &KithConfig::max_connections, nullptr,
     "open HTTP connections; past it the oldest idle one is closed"},
};

int64_t& LimitField(KithConfig& config, const LimitSetting& s) {
  return s.plain != nullptr ? config.*(s.plain) : config.limits.*(s.limit);
}
int64_t LimitValue(const KithConfig& config, const LimitSetting& s) {
  return s.plain != nullptr ? config.*(s.plain) : config.limits.*(s.limit);
}

const LimitSetting* FindLimitSetting(std::string_view key) {
  for (const LimitSetting& s : kLimitSettings) {
    if (key == s.name) return &s;
  }
  return nullptr;
}
// --- end of limits ---

}  // namespace

// ---- Security settings (see SecuritySettings in kith_config.h).
namespace {

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
  int64_t* number = key == "password_threads"                 ? &s.password_threads
                    : key == "password_queue"                 ? &s.password_queue
                    : key == "failed_logins_per_name"         ? &s.failed_logins_per_name
                    : key == "failed_credentials_per_address" ? &s.failed_credentials_per_address
                    : key == "throttle_window_seconds"        ? &s.throttle_window_seconds
                                                              : nullptr;
  if (number != nullptr) {
    auto n = ParseInt64(value);
    if (!n || *n <= 0) return bad();
    *number = *n;
    return true;
  }
  if (key == "durability") {
    if (value != "\"full\"" && value != "\"normal\"") return bad();
    s.durability = value.substr(1, value.size() - 2);
    return true;
  }
  if (key == "cors_origins") {
    auto origins = ParseStringArray(value);
    if (!origins) return bad();
    s.cors_origins = std::move(*origins);
    return true;
  }
  return false;
}

void WriteSecuritySettings(std::ostream& out, const SecuritySettings& s) {
  out << "# Password checks run on threads of their own; more waiting than the queue\n"
      << "# holds are answered 429 (too many requests).\n"
      << "password_threads = " << s.password_threads << "\n"
      << "password_queue = " << s.password_queue << "\n"
      << "# Failed logins per user name, and failed credentials (passwords, api keys) per\n"
      << "# client address, allowed in any window of throttle_window_seconds; more are\n"
      << "# answered 429 with Retry-After. Counted by each server process on its own.\n"
      << "failed_logins_per_name = " << s.failed_logins_per_name << "\n"
      << "failed_credentials_per_address = " << s.failed_credentials_per_address << "\n"
      << "throttle_window_seconds = " << s.throttle_window_seconds << "\n"
      << "# \"full\": an acknowledged write survives a power loss; \"normal\": faster, but\n"
      << "# an OS crash or power loss may drop the last acknowledged writes.\n"
      << "durability = \"" << s.durability << "\"\n"
      << "# Web origins whose browser pages may call kith, e.g. [\"https://www.example.org\"].\n"
      << "cors_origins = [";
  for (size_t i = 0; i < s.cors_origins.size(); ++i) {
    out << (i == 0 ? "\"" : ", \"");
    for (char c : s.cors_origins[i]) out << (c == '"' || c == '\\' ? "\\" : "") << c;
    out << '"';
  }
  out << "]\n";
}

}  // namespace
// ---- end of the security settings

std::string ConfigPath(const std::string& data_dir) { return data_dir + "/kith.toml"; }
std::string DatabasePath(const std::string& data_dir) { return data_dir + "/kith.db"; }

StatusOr<KithConfig> LoadConfig(const std::string& data_dir) {
  std::ifstream in(ConfigPath(data_dir));
  if (!in) return NotFound("no kith.toml in " + data_dir + " (run `kith init --data " + data_dir + "`)");
  KithConfig config;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view text = TrimAscii(line);
    if (text.empty() || text[0] == '#') continue;
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("kith.toml line " + std::to_string(number) + ": expected key = value");
    }
    std::string key(TrimAscii(text.substr(0, eq)));
    std::string value(TrimAscii(text.substr(eq + 1)));
    auto bad = [&] {
      return InvalidArgument("kith.toml line " + std::to_string(number) + ": bad value for " + key);
    };
    if (key == "site_key") {
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
    } else if (const LimitSetting* limit = FindLimitSetting(key)) {
      auto n = ParseInt64(value);
      if (!n || *n <= 0) return bad();
      LimitField(config, *limit) = *n;
    } else {
      KITH_ASSIGN_OR_RETURN(bool known, ReadSecuritySetting(key, value, config.security, bad));
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
      << "# Limits on one request and on connections (README \"Configure\").\n";
  for (const LimitSetting& s : kLimitSettings) {
    out << "# " << s.comment << "\n"
        << s.name << " = " << LimitValue(config, s) << "\n";
  }
  WriteSecuritySettings(out, config.security);
  if (!config.database.empty()) {
    out << "# The PostgreSQL database (instead of SQLite in kith.db), and how many\n"
        << "# connections to it this server opens at most.\n"
        << "database = \"" << config.database << "\"\n"
        << "database_pool_size = " << config.database_pool_size << "\n";
  }
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
