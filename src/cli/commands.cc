#include "cli/commands.h"

#include <algorithm>
#include <chrono>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <thread>

#ifdef KITH_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "api/action_registry.h"
#include "api/records.h"
#include "auth/authenticator.h"
#include "auth/secrets.h"
#include "cli/csv_reader.h"
#include "cli/live_service.h"
#include "cli/runtime.h"
#include "base/error_details.h"
#include "base/strings.h"
#include "config/kith_config.h"
#include "entities/register_builtins.h"
#include "entities/v4/v4_actions.h"
#include "extensions/extension_host.h"
#include "http/http_server.h"
#include "server/kith_service.h"

namespace kith::cli {

store::StoreOptions StoreOptionsOf(const std::string& data_dir, const config::KithConfig& config) {
  store::StoreOptions options;
  options.sqlite_path = config::DatabasePath(data_dir);
  options.database_url = config.database;
  options.pool_size = static_cast<int>(config.database_pool_size);
  options.durable_commits = config.security.durability == "full";
  return options;
}

StatusOr<std::unique_ptr<Runtime>> OpenRuntime(const std::string& data_dir) {
  KITH_RETURN_IF_ERROR(auth::InitSecrets());
  auto rt = std::make_unique<Runtime>();
  KITH_ASSIGN_OR_RETURN(rt->config, config::LoadConfig(data_dir));
  KITH_ASSIGN_OR_RETURN(rt->store, store::OpenStore(StoreOptionsOf(data_dir, rt->config)));
  std::vector<auth::RoleTable::Custom> custom_roles;
  for (const config::RoleSetting& role : rt->config.roles) {
    custom_roles.push_back({role.name, role.permissions});
  }
  KITH_ASSIGN_OR_RETURN(auth::RoleTable roles, auth::RoleTable::Make(custom_roles));
  entities::RegisterBuiltins(rt->registry, api::GlobalRules());
  rt->dispatcher = std::make_unique<api::Dispatcher>(*rt->store, rt->registry);
  rt->auth = std::make_unique<auth::Authenticator>(
      *rt->store,
      auth::AuthOptions{
          rt->config.site_key, rt->config.session_idle_seconds,
          auth::ThrottleOptions{
              .failed_logins_per_name = rt->config.security.failed_logins_per_name,
              .failed_credentials_per_address = rt->config.security.failed_credentials_per_address,
              .window_seconds = rt->config.security.throttle_window_seconds},
          std::move(roles)});
  return rt;
}

namespace {

// One line per extension file on `out`; load errors also on stderr.
void ReportExtensions(const extensions::ExtensionHost& host, std::ostream& out) {
  for (const extensions::ExtensionReport& r : host.reports()) {
    out << "extension " << r.file << ": "
        << (r.actions.empty() ? std::string("no actions") : Join(r.actions, ", ")) << "\n";
    for (const std::string& e : r.errors) std::cerr << "kith: extension error: " << e << "\n";
  }
  out << std::flush;
  std::cerr << std::flush;
}

StatusOr<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen takes HOST:PORT, got " + listen);
  auto port = ParseInt64(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return InvalidArgument("bad port in --listen " + listen);
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(*port));
}

// mimalloc keeps the pages a request freed for the thread that freed them,
// and gives them back to the system only as that thread allocates again: an
// I/O thread that answered one large request and then waits would hold its
// memory. A request that ran long or moved many bytes is followed by a
// collection (the cost of a call is paid only by such requests).
void ReturnMemoryAfterLargeRequest(std::chrono::steady_clock::time_point started, size_t bytes) {
#ifdef KITH_WITH_MIMALLOC
  constexpr size_t kLargeBytes = 256 * 1024;
  constexpr auto kLongRequest = std::chrono::milliseconds(50);
  if (bytes > kLargeBytes || std::chrono::steady_clock::now() - started > kLongRequest) {
    mi_collect(false);
  }
#else
  (void)started;
  (void)bytes;
#endif
}

}  // namespace

Status RunInit(const InitOptions& options, std::ostream& out) {
  KITH_RETURN_IF_ERROR(auth::InitSecrets());
  namespace fs = std::filesystem;
  const std::string& dir = options.data_dir;
  std::error_code ec;
  if (fs::exists(config::ConfigPath(dir)) || fs::exists(config::DatabasePath(dir))) {
    return AlreadyExists(dir + " already holds a kith data directory; refusing to touch it");
  }
  if (fs::exists(dir) && !fs::is_empty(dir, ec)) {
    return AlreadyExists(dir + " exists and is not empty; refusing to touch it");
  }
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError("cannot create " + dir + ": " + ec.message());
  chmod(dir.c_str(), 0700);
  config::KithConfig config;
  config.site_key = options.site_key.empty() ? auth::GenerateToken(40) : options.site_key;
  if (config.site_key.size() < 8) return InvalidArgument("--site-key needs at least 8 characters");
  config.database = options.database;
  if (!config.database.empty() && config.database.rfind("postgresql://", 0) != 0 &&
      config.database.rfind("postgres://", 0) != 0) {
    return InvalidArgument("--database takes a postgresql://USER@HOST:PORT/DB URL");
  }
  // The database first: a URL that does not work leaves no data directory.
  KITH_ASSIGN_OR_RETURN(auto store, store::OpenStore(StoreOptionsOf(dir, config)));
  KITH_RETURN_IF_ERROR(config::WriteConfig(dir, config));
  out << "Created kith data directory " << dir << "\n" << "site key:\n" << config.site_key << "\n";
  return Status();
}

Status RunUserAdd(const UserAddOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(true));
  auth::Caller system = auth::Caller::System();
  // The user's contact: an Individual named after the user.
  api::ApiCall call{"Contact", "create", Value::object(), 2};
  api::ActionContext ctx{*txn, system, *rt->dispatcher, *rt->store->catalog(), call, call.params};
  KITH_ASSIGN_OR_RETURN(
      int64_t contact_id,
      api::CreateRecord(ctx, "Contact", {{"contact_type", "Individual"}, {"first_name", options.name}}));
  KITH_ASSIGN_OR_RETURN(std::string api_key,
                        rt->auth->AddUser(*txn, {options.name, options.password, options.role, contact_id,
                                                 options.api_key}));
  KITH_RETURN_IF_ERROR(txn->Commit());
  out << "Created " << options.role << " user " << options.name << " (contact " << contact_id
      << ")\napi key:\n" << api_key << "\n";
  return Status();
}

Status RunUserKey(const UserChangeOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(true));
  KITH_ASSIGN_OR_RETURN(std::string api_key,
                        rt->auth->ReplaceApiKey(*txn, options.name, options.api_key));
  KITH_RETURN_IF_ERROR(txn->Commit());
  out << "New api key of user " << options.name << " (the old one no longer works):\n"
      << api_key << "\n";
  return Status();
}

Status RunUserSetActive(const UserChangeOptions& options, bool active, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(true));
  KITH_RETURN_IF_ERROR(rt->auth->SetActive(*txn, options.name, active));
  KITH_RETURN_IF_ERROR(txn->Commit());
  out << "User " << options.name << (active ? " enabled" : " disabled") << "\n";
  return Status();
}

Status RunServe(const ServeOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  KITH_ASSIGN_OR_RETURN(auto listen, ParseListen(options.listen));
  if (options.threads < 1) return InvalidArgument("--threads must be at least 1");
  const config::SecuritySettings& security = rt->config.security;
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return InvalidArgument("--tls-cert and --tls-key go together");
  }
  KITH_ASSIGN_OR_RETURN(server::TrustedProxies proxies,
                        server::TrustedProxies::Parse(security.trusted_proxies));
  auth::DummyPasswordHash();  // made now, not on the first login for an unknown name
  auth::PasswordPool password_pool(
      {.threads = static_cast<int>(security.password_threads),
       .queue_limit = static_cast<size_t>(security.password_queue)});
  // The built-ins plus the extensions, swapped whole on SIGHUP.
  LiveService live(rt->registry, *rt->store, *rt->auth,
                   {.honest_http_status = rt->config.honest_http_status,
                    .q_means_v3 = rt->config.q_dialect == "v3",
                    .limits = rt->config.limits,
                     .password_pool = &password_pool,
                     .cors_origins = security.cors_origins,
                     .require_secure_credentials = security.require_secure_credentials,
                     .trusted_proxies = std::move(proxies)},
                   extensions::ExtensionsDir(options.data_dir), extensions::SandboxLimits{});
  ReportExtensions(*live.Reload(), out);
  http::HttpServerOptions http_options;
  http_options.host = listen.first;
  http_options.port = listen.second;
  http_options.threads = options.threads;
  http_options.body_limit = static_cast<size_t>(rt->config.body_limit_bytes);
  bool tls_flags = !options.tls_cert.empty();
  http_options.tls_cert_file = tls_flags ? options.tls_cert : security.tls_cert;
  http_options.tls_key_file = tls_flags ? options.tls_key : security.tls_key;
  // Connections stay under the open-file limit (raised as far as allowed),
  // with room for the database, logs and extensions.
  constexpr uint64_t kSpareFiles = 64;
  uint64_t files = http::RaiseOpenFileLimit();
  uint64_t room = files > 2 * kSpareFiles ? files - kSpareFiles : files / 2;
  http_options.max_connections =
      static_cast<size_t>(std::min<uint64_t>(room, static_cast<uint64_t>(rt->config.max_connections)));
  http_options.body_limit_response = [limit = http_options.body_limit](const http::HttpRequest& head) {
    return server::BodyTooLargeResponse(head, limit);
  };

  // Block the stop signals before any thread starts, and wait for them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  KITH_ASSIGN_OR_RETURN(auto server,
                        http::HttpServer::Start(http_options, [&live](const http::HttpRequest& r) {
                          auto started = std::chrono::steady_clock::now();
                          http::HttpResponse response = live.Handle(r);
                          ReturnMemoryAfterLargeRequest(started, r.body.size() + response.body.size());
                          return response;
                        }));
  out << "kith serving on " << (http_options.tls_cert_file.empty() ? "http" : "https") << "://"
      << listen.first << ":" << server->port() << "\n" << std::flush;
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    ReportExtensions(*live.Reload(), out);
    out << "kith reloaded extensions\n" << std::flush;
  }
  out << "kith stopping (signal " << received << ")\n" << std::flush;
  server->Stop();
  server->Wait();
  return Status();
}

Status RunExtList(const ExtListOptions& options, std::ostream& out) {
  KITH_RETURN_IF_ERROR(config::LoadConfig(options.data_dir).status());
  // The built-ins, so that an extension redefining one is reported as at serve.
  api::ActionRegistry registry;
  api::RulesRegistry rules;
  entities::RegisterBuiltins(registry, rules);
  const std::string dir = extensions::ExtensionsDir(options.data_dir);
  auto host = extensions::ExtensionHost::Load(dir, extensions::SandboxLimits{}, registry);
  if (host->reports().empty()) out << "no extensions in " << dir << "\n";
  for (const extensions::ExtensionReport& r : host->reports()) {
    out << r.file << "\n";
    for (const std::string& name : r.actions) {
      size_t dot = name.find('.');
      const api::ActionSpec* spec = registry.Find(2, name.substr(0, dot), name.substr(dot + 1));
      out << "  " << name;
      if (spec != nullptr) {
        out << "  permission: "
            << (spec->permissions.empty() ? std::string("any user") : Join(spec->permissions, ", "))
            << (spec->writes ? "; writes" : "");
      }
      out << "\n";
    }
    for (const std::string& e : r.errors) out << "  error: " << e << "\n";
  }
  if (host->error_count() > 0) {
    return absl::FailedPreconditionError(std::to_string(host->error_count()) +
                                         " extension file(s) with errors");
  }
  return Status();
}

Status RunImport(const ImportOptions& options, std::ostream& out) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.file != "-") {
    file.open(options.file, std::ios::binary);
    if (!file) return absl::NotFoundError("cannot open " + options.file);
    in = &file;
  }
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  const api::ActionSpec* create = rt->registry.Find(4, options.entity, "create");
  if (create == nullptr) {
    return InvalidArgument("cannot import " + options.entity + ": APIv4 has no create for it");
  }
  CsvReader reader(*in);
  std::vector<std::string> header;
  KITH_ASSIGN_OR_RETURN(bool any, reader.Next(header));
  if (!any) return InvalidArgument(options.file + " is empty: the first row names the fields");
  for (const std::string& name : header) {
    if (TrimAscii(name).empty()) return InvalidArgument("the header row has an empty field name");
  }
  auth::Caller system = auth::Caller::System();
  for (const std::string& p : create->permissions) {
    if (!system.Has(p)) return absl::PermissionDeniedError("import needs permission " + p);
  }
  KITH_ASSIGN_OR_RETURN(auto txn, rt->store->Begin(true));
  // The rows are written by the store's own thread while the next rows' rules run.
  KITH_RETURN_IF_ERROR(txn->PipelineInserts());
  // Each row is what an APIv4 create of it does (the same rules and writes),
  // without the answer nobody reads.
  api::ApiCall call{create->entity, "create", Value{{"values", Value::object()}}, 4};
  std::vector<std::string> cells;
  int64_t count = 0;
  // One row: false at the end of the input.
  auto import_row = [&]() -> StatusOr<bool> {
    KITH_ASSIGN_OR_RETURN(bool more, reader.Next(cells));
    if (!more) return false;
    std::string where = "line " + std::to_string(reader.record_line()) + ": ";
    if (cells.size() == 1 && cells[0].empty()) return true;  // a blank line
    if (cells.size() != header.size()) {
      return InvalidArgument(where + std::to_string(cells.size()) + " fields, the header has " +
                             std::to_string(header.size()));
    }
    Value values = Value::object();
    for (size_t i = 0; i < header.size(); ++i) {
      if (!cells[i].empty()) values[std::string(TrimAscii(header[i]))] = std::move(cells[i]);
    }
    call.params["values"] = std::move(values);
    txn->LabelInserts(where);
    // The transaction's catalog as of this row (a row may change the schema).
    std::shared_ptr<const schema::Catalog> catalog = txn->catalog();
    api::ActionContext ctx{*txn, system, *rt->dispatcher, *catalog, call, call.params};
    auto done = entities::v4::CreateWithoutAnswer(ctx, create->entity);
    if (!done.ok()) {
      std::string message = where + std::string(done.status().message());
      return Status(done.status().code(), absl::string_view(message.data(), message.size()));
    }
    ++count;
    return true;
  };
  while (true) {
    StatusOr<bool> more = import_row();
    if (!more.ok()) {
      // A row queued before this one that failed is the file's first error.
      KITH_RETURN_IF_ERROR(txn->WaitForInserts());
      return more.status();
    }
    if (!*more) break;
  }
  KITH_RETURN_IF_ERROR(txn->Commit());
  out << "Imported " << count << " " << options.entity << " record" << (count == 1 ? "" : "s")
      << "\n";
  return Status();
}

}  // namespace kith::cli
