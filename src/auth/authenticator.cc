#include "auth/authenticator.h"

#include <atomic>
#include <optional>

#include "auth/secrets.h"
#include "base/error_details.h"

namespace kith::auth {
namespace {

using store::Condition;
using store::Op;
using store::Query;

constexpr size_t kApiKeyLength = 40;
constexpr size_t kSessionIdLength = 40;
// A session's last_seen is written at most this often, to keep reads cheap.
constexpr int64_t kTouchIntervalSeconds = 30;

Status Rejected() { return Unauthenticated("Invalid credential"); }

Status TooManyFailures(int64_t wait_seconds) {
  return ResourceExhausted("Too many failed attempts; try again in " + std::to_string(wait_seconds) +
                               " seconds.",
                           Value{{"retry_after", wait_seconds}});
}

// The user named `name` when `password` is theirs; nullopt otherwise (an
// unknown name and a wrong password are not told apart).
StatusOr<std::optional<int64_t>> UserWithPassword(store::Transaction& txn, std::string_view name,
                                                  std::string_view password) {
  Query q;
  q.entity = "User";
  q.select = {"id", "password_hash"};
  q.where = Condition::Leaf("name", Op::kEq, std::string(name));
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty() || !rows[0]["password_hash"].is_string()) {
    VerifyPassword(password, DummyPasswordHash());  // the same cost as a wrong password
    return std::optional<int64_t>();
  }
  if (!VerifyPassword(password, rows[0]["password_hash"].get<std::string>())) {
    return std::optional<int64_t>();
  }
  return std::optional<int64_t>(rows[0]["id"].get<int64_t>());
}

}  // namespace

namespace {
std::atomic<uint64_t> authenticators_made{0};
}  // namespace

Authenticator::Authenticator(store::Store& store, AuthOptions options, const Clock& clock)
    : id_(++authenticators_made),
      store_(store),
      options_(std::move(options)),
      clock_(clock),
      throttle_(options_.throttle, clock) {}

Status Authenticator::LoginAllowed(std::string_view name, std::string_view address) const {
  int64_t wait = throttle_.LoginWait(name, address);
  return wait > 0 ? TooManyFailures(wait) : Status();
}

void Authenticator::CountLogin(const Status& outcome, std::string_view name,
                               std::string_view address) const {
  if (outcome.ok()) {
    throttle_.LoginSucceeded(name, address);
  } else if (outcome.code() == absl::StatusCode::kUnauthenticated) {
    throttle_.LoginFailed(name, address);
  }
}

bool Authenticator::CheckSiteKey(std::string_view given) const {
  if (given.empty() || options_.site_key.empty()) return false;
  return ConstantTimeEquals(given, options_.site_key);
}

namespace {

// The columns of a User row a Caller is made of.
const std::vector<std::string>& CallerColumns() {
  static const std::vector<std::string> columns = {"id", "name", "role", "contact_id",
                                                   "is_active"};
  return columns;
}

// A user whose role kith.toml no longer defines is refused (it holds no
// permission anyone chose to give).
StatusOr<Caller> CallerFromRow(const Value& row, const RoleTable& roles) {
  if (row["is_active"] != 1) return Rejected();
  RolePtr role = row["role"].is_string() ? roles.Find(row["role"].get<std::string>()) : nullptr;
  if (role == nullptr) return Rejected();
  Caller c;
  c.user_id = row["id"].get<int64_t>();
  c.user_name = row["name"].get<std::string>();
  c.contact_id = row["contact_id"].is_number() ? row["contact_id"].get<int64_t>() : 0;
  c.role = std::move(role);
  return c;
}

}  // namespace

StatusOr<Caller> Authenticator::LoadCaller(store::Transaction& txn, int64_t user_id) const {
  Query q;
  q.entity = "User";
  q.select = CallerColumns();
  q.where = Condition::Leaf("id", Op::kEq, user_id);
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return Rejected();
  return CallerFromRow(rows[0], options_.roles);
}

StatusOr<Caller> Authenticator::ByApiKey(std::string_view api_key,
                                         std::unique_ptr<store::Transaction>* read_txn,
                                         std::string_view address,
                                         std::shared_ptr<store::ReadAssumptions> pipelined) const {
  if (int64_t wait = throttle_.AddressWait(address); wait > 0) return TooManyFailures(wait);
  StatusOr<Caller> caller = FindApiKeyCaller(api_key, read_txn, std::move(pipelined));
  if (caller.status().code() == absl::StatusCode::kUnauthenticated) throttle_.KeyFailed(address);
  return caller;
}

StatusOr<Caller> Authenticator::FindApiKeyCaller(
    std::string_view api_key, std::unique_ptr<store::Transaction>* read_txn,
    std::shared_ptr<store::ReadAssumptions> pipelined) const {
  if (api_key.empty()) return Rejected();
  // A client sends its key with every request: the hash of the last key
  // this thread saw is kept (the key compared in constant time, so that
  // its bytes cannot be guessed one by one from the comparison's time).
  // The caller it was last known as stays with it, with the authenticator
  // and the users' change count that knew it (known_keys_' test, without
  // its lock and hash).
  struct LastKey {
    std::string key;
    std::string hash;
    std::optional<Caller> caller;
    uint64_t authenticator = 0;
    int64_t user_changes = 0;
  };
  thread_local LastKey last;
  if (last.key.empty() || !ConstantTimeEquals(last.key, api_key)) {
    last.hash = HashToken(api_key);
    last.key.assign(api_key);
    last.caller.reset();
  }
  auto remember = [&](const Caller& caller, int64_t user_changes) {
    last.caller = caller;
    last.authenticator = id_;
    last.user_changes = user_changes;
  };
  // (viewed, not copied: nothing below runs this function again on this thread)
  const std::string& hash = last.hash;
  KITH_ASSIGN_OR_RETURN(auto txn, pipelined != nullptr && read_txn != nullptr
                                      ? store_.BeginPipelinedRead(std::move(pipelined))
                                      : store_.Begin(false));
  std::optional<int64_t> user_changes = txn->ChangeCount("User");
  if (user_changes && last.caller && last.authenticator == id_ && last.user_changes == *user_changes) {
    if (read_txn != nullptr) *read_txn = std::move(txn);
    return *last.caller;
  }
  if (user_changes) {
    std::optional<Caller> known;
    {
      std::lock_guard<std::mutex> lock(known_keys_mutex_);
      auto it = known_keys_.find(hash);
      if (it != known_keys_.end() && it->second.user_changes == *user_changes) known = it->second.caller;
    }
    if (known) {
      remember(*known, *user_changes);
      if (read_txn != nullptr) *read_txn = std::move(txn);
      return *std::move(known);
    }
  }
  // The user and everything its Caller needs in one read.
  Query q;
  q.entity = "User";
  q.select = CallerColumns();
  q.where = Condition::Leaf("api_key_hash", Op::kEq, hash);
  KITH_ASSIGN_OR_RETURN(auto users, txn->Select(q));
  if (!users.empty()) {
    StatusOr<Caller> caller = CallerFromRow(users[0], options_.roles);
    if (caller.ok() && user_changes) {
      std::lock_guard<std::mutex> lock(known_keys_mutex_);
      if (known_keys_.size() >= kMaxKnownKeys) known_keys_.clear();
      known_keys_.insert_or_assign(hash, KnownKey{*caller, *user_changes});
    }
    if (caller.ok() && user_changes) remember(*caller, *user_changes);
    if (caller.ok() && read_txn != nullptr) *read_txn = std::move(txn);
    return caller;
  }
  q.entity = "Session";
  q.select = {"user_id", "last_seen", "session_hash"};
  KITH_ASSIGN_OR_RETURN(auto sessions, txn->Select(q));
  if (sessions.empty()) return Rejected();
  if (clock_.NowSeconds() - sessions[0]["last_seen"].get<int64_t>() >
      options_.session_idle_seconds) {
    return Rejected();
  }
  StatusOr<Caller> caller = LoadCaller(*txn, sessions[0]["user_id"].get<int64_t>());
  if (caller.ok() && read_txn != nullptr) *read_txn = std::move(txn);
  return caller;
}

StatusOr<Caller> Authenticator::BySession(std::string_view session_id) const {
  if (session_id.empty()) return Rejected();
  std::string hash = HashToken(session_id);
  Query q;
  q.entity = "Session";
  q.select = {"id", "user_id", "last_seen"};
  q.where = Condition::Leaf("session_hash", Op::kEq, hash);
  int64_t now = clock_.NowSeconds();
  int64_t session_row = 0;
  Caller caller;
  {
    KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(false));
    KITH_ASSIGN_OR_RETURN(auto rows, txn->Select(q));
    if (rows.empty()) return Rejected();
    int64_t last_seen = rows[0]["last_seen"].get<int64_t>();
    if (now - last_seen > options_.session_idle_seconds) return Rejected();
    KITH_ASSIGN_OR_RETURN(caller, LoadCaller(*txn, rows[0]["user_id"].get<int64_t>()));
    if (now - last_seen < kTouchIntervalSeconds) {
      caller.session_id = std::string(session_id);
      return caller;
    }
    session_row = rows[0]["id"].get<int64_t>();
  }
  // Writes run again when a store that writes side by side (PostgreSQL)
  // refuses one for a conflict with a concurrent call.
  KITH_RETURN_IF_ERROR(store::RunWithRetries([&]() -> Status {
    KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(true));
    KITH_RETURN_IF_ERROR(txn->Update("Session", session_row, {{"last_seen", now}}));
    return txn->Commit();
  }));
  caller.session_id = std::string(session_id);
  return caller;
}

StatusOr<LoginResult> Authenticator::Login(std::string_view name, std::string_view password,
                                           std::string_view address) const {
  KITH_RETURN_IF_ERROR(LoginAllowed(name, address));
  // The password is checked in a read transaction: the hash takes tens of
  // milliseconds, which no writer should wait for, and a retried write below
  // must not check (and count) it again.
  StatusOr<Caller> checked = Rejected();
  {
    KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(false));
    KITH_ASSIGN_OR_RETURN(std::optional<int64_t> user_id, UserWithPassword(*txn, name, password));
    checked = user_id ? LoadCaller(*txn, *user_id)
                      : Unauthenticated("Could not authenticate user, invalid name or password.");
  }
  CountLogin(checked.status(), name, address);
  KITH_ASSIGN_OR_RETURN(Caller caller, std::move(checked));
  LoginResult result;
  result.session_id = GenerateToken(kSessionIdLength);
  result.api_key = GenerateToken(kApiKeyLength);
  KITH_RETURN_IF_ERROR(store::RunWithRetries([&]() -> Status {
    KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(true));
    KITH_RETURN_IF_ERROR(txn->Insert("Session", {{"session_hash", HashToken(result.session_id)},
                                                 {"api_key_hash", HashToken(result.api_key)},
                                                 {"user_id", caller.user_id},
                                                 {"last_seen", clock_.NowSeconds()}})
                             .status());
    return txn->Commit();
  }));
  caller.session_id = result.session_id;
  result.caller = caller;
  return result;
}

StatusOr<Caller> Authenticator::ByPassword(std::string_view name, std::string_view password,
                                            std::string_view address) const {
  if (name.empty() || password.empty()) return Rejected();
  KITH_RETURN_IF_ERROR(LoginAllowed(name, address));
  KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(false));
  KITH_ASSIGN_OR_RETURN(std::optional<int64_t> user_id, UserWithPassword(*txn, name, password));
  StatusOr<Caller> caller = user_id ? LoadCaller(*txn, *user_id) : Rejected();
  CountLogin(caller.status(), name, address);
  return caller;
}

Status Authenticator::Logout(std::string_view session_id) const {
  Query q;
  q.entity = "Session";
  q.select = {"id"};
  q.where = Condition::Leaf("session_hash", Op::kEq, HashToken(session_id));
  return store::RunWithRetries([&]() -> Status {
    KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(true));
    KITH_ASSIGN_OR_RETURN(auto rows, txn->Select(q));
    for (const Value& row : rows) {
      KITH_RETURN_IF_ERROR(txn->Delete("Session", row["id"].get<int64_t>()));
    }
    return txn->Commit();
  });
}

StatusOr<std::string> Authenticator::AddUser(store::Transaction& txn, const NewUser& user) const {
  if (user.name.empty()) return InvalidArgument("a user needs a name");
  if (user.password.empty()) return InvalidArgument("a user needs a password");
  if (options_.roles.Find(user.role) == nullptr) {
    return InvalidArgument("no role " + user.role + " (roles: " + options_.roles.Names() + ")");
  }
  Query q;
  q.entity = "User";
  q.select = {"id"};
  q.where = Condition::Leaf("name", Op::kEq, user.name);
  KITH_ASSIGN_OR_RETURN(auto existing, txn.Select(q));
  if (!existing.empty()) return AlreadyExists("a user named " + user.name + " already exists");
  std::string api_key = user.api_key.empty() ? GenerateToken(kApiKeyLength) : user.api_key;
  KITH_ASSIGN_OR_RETURN(std::string password_hash, HashPassword(user.password));
  auto id = txn.Insert("User", {{"name", user.name},
                                {"password_hash", password_hash},
                                {"role", user.role},
                                {"contact_id", user.contact_id},
                                {"api_key_hash", HashToken(api_key)},
                                {"is_active", 1},
                                {"created_date", FormatDateTime(clock_.NowSeconds())}});
  if (!id.ok()) {
    if (id.status().code() == absl::StatusCode::kAlreadyExists) {
      return AlreadyExists("that api key is already in use");
    }
    return id.status();
  }
  return api_key;
}

StatusOr<int64_t> Authenticator::UserId(store::Transaction& txn, std::string_view name) const {
  Query q;
  q.entity = "User";
  q.select = {"id"};
  q.where = Condition::Leaf("name", Op::kEq, std::string(name));
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  if (rows.empty()) return NotFound("no user named " + std::string(name));
  return rows[0]["id"].get<int64_t>();
}

StatusOr<Caller> Authenticator::ByUserName(std::string_view name) const {
  KITH_ASSIGN_OR_RETURN(auto txn, store_.Begin(false));
  KITH_ASSIGN_OR_RETURN(int64_t id, UserId(*txn, name));
  StatusOr<Caller> caller = LoadCaller(*txn, id);
  if (!caller.ok()) return Unauthenticated("user " + std::string(name) + " is disabled");
  return caller;
}

StatusOr<std::string> Authenticator::ReplaceApiKey(store::Transaction& txn, std::string_view name,
                                                   std::string_view api_key) const {
  KITH_ASSIGN_OR_RETURN(int64_t id, UserId(txn, name));
  std::string key = api_key.empty() ? GenerateToken(kApiKeyLength) : std::string(api_key);
  Status s = txn.Update("User", id, {{"api_key_hash", HashToken(key)}});
  if (s.code() == absl::StatusCode::kAlreadyExists) return AlreadyExists("that api key is already in use");
  KITH_RETURN_IF_ERROR(s);
  return key;
}

Status Authenticator::SetActive(store::Transaction& txn, std::string_view name, bool active) const {
  KITH_ASSIGN_OR_RETURN(int64_t id, UserId(txn, name));
  return txn.Update("User", id, {{"is_active", active ? 1 : 0}});
}

Status Authenticator::SetRole(store::Transaction& txn, std::string_view name,
                              std::string_view role) const {
  if (options_.roles.Find(role) == nullptr) {
    return InvalidArgument("no role " + std::string(role) + " (roles: " + options_.roles.Names() +
                           ")");
  }
  KITH_ASSIGN_OR_RETURN(int64_t id, UserId(txn, name));
  return txn.Update("User", id, {{"role", std::string(role)}});
}

Status Authenticator::SetPassword(store::Transaction& txn, std::string_view name,
                                  std::string_view password) const {
  if (password.empty()) return InvalidArgument("a user needs a password");
  KITH_ASSIGN_OR_RETURN(int64_t id, UserId(txn, name));
  KITH_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  KITH_RETURN_IF_ERROR(txn.Update("User", id, {{"password_hash", hash}}));
  // Whoever logged in with the old password is logged out.
  Query q;
  q.entity = "Session";
  q.select = {"id"};
  q.where = Condition::Leaf("user_id", Op::kEq, id);
  KITH_ASSIGN_OR_RETURN(auto sessions, txn.Select(q));
  for (const Value& row : sessions) {
    KITH_RETURN_IF_ERROR(txn.Delete("Session", row["id"].get<int64_t>()));
  }
  return Status();
}

StatusOr<std::vector<Authenticator::UserSummary>> Authenticator::ListUsers(
    store::Transaction& txn) const {
  Query q;
  q.entity = "User";
  q.select = {"name", "contact_id", "role", "is_active", "api_key_hash"};
  q.order_by = {{"name", false}};
  KITH_ASSIGN_OR_RETURN(auto rows, txn.Select(q));
  std::vector<UserSummary> users;
  users.reserve(rows.size());
  for (const Value& row : rows) {
    UserSummary u;
    u.name = row["name"].get<std::string>();
    u.contact_id = row["contact_id"].is_number() ? row["contact_id"].get<int64_t>() : 0;
    u.role = row["role"].is_string() ? row["role"].get<std::string>() : "";
    u.role_defined = options_.roles.Find(u.role) != nullptr;
    u.active = row["is_active"] == 1;
    u.api_key_set = row["api_key_hash"].is_string() && !row["api_key_hash"].get<std::string>().empty();
    users.push_back(std::move(u));
  }
  return users;
}

}  // namespace kith::auth
