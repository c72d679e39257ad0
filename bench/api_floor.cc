// api_floor: the least an API read can cost over kith's HTTP server, for
// the API cost part of bench/run.sh. It serves two paths with one thread:
//   GET /healthz   "ok", as kith serve answers it
//   GET /floor     the api key of X-Civi-Auth checked (remembered, as kith
//                  does), one read transaction, the id and display name of
//                  one contact selected by id, a two-field JSON answer
// No protocol is parsed and no JSON library runs: what /floor costs beyond
// /healthz is what any get over this store pays, whatever its protocol.
//
//   api_floor --db PATH     prints "port <P>" once serving; SIGTERM stops it
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "auth/authenticator.h"
#include "auth/secrets.h"
#include "http/http_server.h"
#include "store/store.h"

namespace {

constexpr char kApiKey[] = "floor-api-key-0123456789";

int Fail(const kith::Status& s) {
  std::fprintf(stderr, "api_floor: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "--db") != 0) {
    std::fprintf(stderr, "usage: api_floor --db PATH\n");
    return 1;
  }
  using namespace kith;
  if (Status s = auth::InitSecrets(); !s.ok()) return Fail(s);
  auto store = store::OpenStore({.sqlite_path = argv[2]});
  if (!store.ok()) return Fail(store.status());
  auth::Authenticator auth(**store, auth::AuthOptions{"floor-site-key-0123456789", 3600});

  // One contact and a user whose key reads it.
  int64_t contact_id = 0;
  {
    auto txn = (*store)->Begin(true);
    if (!txn.ok()) return Fail(txn.status());
    auto id = (*txn)->Insert("Contact", {{"contact_type", "Individual"},
                                         {"first_name", "Floor"},
                                         {"last_name", "Bench"},
                                         {"display_name", "Floor Bench"}});
    if (!id.ok()) return Fail(id.status());
    contact_id = *id;
    auto key = auth.AddUser(**txn, {"floor", "floor-password", "admin", *id, kApiKey});
    if (!key.ok()) return Fail(key.status());
    if (Status s = (*txn)->Commit(); !s.ok()) return Fail(s);
  }

  http::HttpServerOptions options;
  options.port = 0;
  options.threads = 1;
  auto handler = [&](const http::HttpRequest& request) -> http::HttpResponse {
    if (request.path == "/healthz") return {200, "text/plain; charset=UTF-8", {}, "ok\n"};
    if (request.path != "/floor") return {404, "text/plain; charset=UTF-8", {}, "Not Found\n"};
    std::string_view bearer = request.Header("x-civi-auth");
    if (bearer.rfind("Bearer ", 0) == 0) bearer.remove_prefix(7);
    std::unique_ptr<store::Transaction> txn;
    auto caller = auth.ByApiKey(bearer, &txn);
    if (!caller.ok()) return {401, "text/plain; charset=UTF-8", {}, "HTTP 401 Invalid credential"};
    store::Query q;
    q.entity = "Contact";
    q.select = {"id", "display_name"};
    q.where = store::Condition::Leaf("id", store::Op::kEq, contact_id);
    auto rows = txn->Select(q);
    Status done = txn->Commit();
    if (!rows.ok() || rows->empty() || !done.ok()) return {500, "text/plain", {}, "failed\n"};
    return {200, "application/json", {},
            "{\"values\":[{\"id\":" + std::to_string(contact_id) + ",\"display_name\":\"" +
                (*rows)[0]["display_name"].get<std::string>() + "\"}]}"};
  };

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = http::HttpServer::Start(options, handler);
  if (!server.ok()) return Fail(server.status());
  std::printf("port %u\n", static_cast<unsigned>((*server)->port()));
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*server)->Stop();
  return 0;
}
