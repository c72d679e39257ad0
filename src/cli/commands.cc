#include "cli/commands.h"

#include <algorithm>
#include <chrono>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
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
#include "sync/webhook_worker.h"

namespace kith::cli {
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
  int64_t contact_id = 0;
  std::string api_key;
  KITH_RETURN_IF_ERROR(store::RunWriteTransaction(*rt->store, [&](store::Transaction& txn) -> Status {
    auth::Caller system = auth::Caller::System();
    // The user's contact: an Individual named after the user.
    api::ApiCall call{"Contact", "create", Value::object(), 2};
    api::ActionContext ctx{txn, system, *rt->dispatcher, *rt->store->catalog(), call, call.params};
    KITH_ASSIGN_OR_RETURN(contact_id, api::CreateRecord(ctx, "Contact", {{"contact_type", "Individual"},
                                                                         {"first_name", options.name}}));
    KITH_ASSIGN_OR_RETURN(api_key, rt->auth->AddUser(txn, {options.name, options.password, options.role,
                                                           contact_id, options.api_key}));
    return Status();
  }));
  out << "Created " << options.role << " user " << options.name << " (contact " << contact_id
      << ")\napi key:\n" << api_key << "\n";
  return Status();
}

Status RunUserKey(const UserChangeOptions& options, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  std::string api_key;
  KITH_RETURN_IF_ERROR(store::RunWriteTransaction(*rt->store, [&](store::Transaction& txn) -> Status {
    KITH_ASSIGN_OR_RETURN(api_key, rt->auth->ReplaceApiKey(txn, options.name, options.api_key));
    return Status();
  }));
  out << "New api key of user " << options.name << " (the old one no longer works):\n"
      << api_key << "\n";
  return Status();
}

Status RunUserSetActive(const UserChangeOptions& options, bool active, std::ostream& out) {
  KITH_ASSIGN_OR_RETURN(auto rt, OpenRuntime(options.data_dir));
  KITH_RETURN_IF_ERROR(store::RunWriteTransaction(*rt->store, [&](store::Transaction& txn) {
    return rt->auth->SetActive(txn, options.name, active);
  }));
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
  // GET /metrics and the access log (kith.toml metrics, access_log).
  const config::OperationsSettings& operations = rt->config.operations;
  server::Metrics metrics;
  std::unique_ptr<server::AccessLog> access_log;
  if (operations.access_log != "off") {
    KITH_ASSIGN_OR_RETURN(access_log, server::AccessLog::Open(operations.access_log));
  }
  // The built-ins plus the extensions, swapped whole on SIGHUP.
  LiveService live(rt->registry, *rt->store, *rt->auth,
                   {.honest_http_status = rt->config.honest_http_status,
                    .q_means_v3 = rt->config.q_dialect == "v3",
                    .limits = rt->config.limits,
                    .password_pool = &password_pool,
                    .cors_origins = security.cors_origins,
                    .database_answers = [&store = *rt->store] { return store.Answering(); },
                    .metrics = &metrics,
                    .access_log = access_log.get(),
                    .metrics_access = operations.metrics == "off"    ? server::MetricsAccess::kOff
                                      : operations.metrics == "open" ? server::MetricsAccess::kOpen
                                                                     : server::MetricsAccess::kLoopback,
                    .require_secure_credentials = security.require_secure_credentials,
                    .trusted_proxies = std::move(proxies)},
                   extensions::ExtensionsDir(options.data_dir), extensions::SandboxLimits{});
  ReportExtensions(*live.Reload(), out);
  (void)rt->store->Answering();  // the database's probe starts now, not at the first /healthz
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
  // Webhook deliveries, from the change log (every server on a shared
  // database runs one; they share the work).
  const config::SyncSettings& sync = rt->config.sync;
  sync::WebhookWorker webhooks(
      *rt->store, {.timeout_seconds = sync.webhook_timeout_seconds,
                   .concurrency = sync.webhook_concurrency,
                   .outbox = {.lease_seconds = 2 * sync.webhook_timeout_seconds + 5,
                              .max_attempts = sync.webhook_max_attempts,
                              .retry_max_seconds = sync.webhook_retry_max_seconds,
                              .retention_days = sync.change_log_retention_days}});
  webhooks.Start();
  metrics.SetOpenConnections([&server] { return server->open_connections(); });
  out << "kith serving on " << (http_options.tls_cert_file.empty() ? "http" : "https") << "://"
      << listen.first << ":" << server->port() << "\n" << std::flush;
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    ReportExtensions(*live.Reload(), out);
    out << "kith reloaded extensions\n" << std::flush;
    if (access_log != nullptr) {
      Status reopened = access_log->Reopen();
      if (!reopened.ok()) std::cerr << "kith: " << reopened.message() << "\n" << std::flush;
    }
  }
  out << "kith stopping (signal " << received << ")\n" << std::flush;
  server->Stop();
  server->Wait();
  webhooks.Stop();
  metrics.SetOpenConnections(nullptr);
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

}  // namespace kith::cli
