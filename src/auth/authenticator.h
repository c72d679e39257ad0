// Authenticator: turns credentials (site key, api key, session id, name and
// password) into a Caller, and keeps users and sessions in the store.
// Secrets are stored only as hashes; api keys and session ids are compared
// through their hashes, site keys in constant time.
// Thread-safe: every method runs its own store transaction, or uses the
// caller's.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/caller.h"
#include "auth/credential_throttle.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace kith::auth {

struct AuthOptions {
  std::string site_key;                    // from kith.toml
  int64_t session_idle_seconds = 3600;     // sessions expire after this idle time
  ThrottleOptions throttle = {};           // failed credentials allowed (per name, per address)
  RoleTable roles = {};                    // the built-ins and kith.toml's [roles.NAME]
};

struct NewUser {
  std::string name;
  std::string password;
  std::string role = "viewer";  // a role of AuthOptions::roles
  int64_t contact_id = 0;
  std::string api_key;  // generated when empty
};

struct LoginResult {
  std::string session_id;  // the PHPSESSID
  std::string api_key;     // a fresh key bound to that session
  Caller caller;
};

class Authenticator {
 public:
  Authenticator(store::Store& store, AuthOptions options, const Clock& clock = Clock::Real());

  // True when `given` equals the site key (constant time). False when either
  // is empty.
  bool CheckSiteKey(std::string_view given) const;

  // The caller owning `api_key`: a user's permanent key or a session's key.
  // kUnauthenticated when unknown, expired or the user is inactive. A
  // permanent key's caller is remembered while the store's count of User
  // changes stays the same (see known_keys_). With
  // `read_txn`, a success hands over the read transaction the key was
  // checked in, still open, for the call's own reads (one transaction per
  // request instead of two).
  //
  // `address` is the client's (empty: not counted, e.g. the CLI): an
  // address past its limit of failed credentials gets kResourceExhausted
  // with details {"retry_after": seconds} before any check, and a wrong key
  // counts against it. The same for Login and ByPassword, which also count
  // per user name (see CredentialThrottle).
  //
  // With `pipelined` (and `read_txn`), the read transaction is a pipelined
  // one (store::Store::BeginPipelinedRead): a remembered key's caller is
  // then given as of the users' change count last seen, checked with the
  // call's first read, and when `pipelined->changed` says it was not the
  // current one the request must be run again without.
  StatusOr<Caller> ByApiKey(std::string_view api_key,
                            std::unique_ptr<store::Transaction>* read_txn = nullptr,
                            std::string_view address = {},
                            std::shared_ptr<store::ReadAssumptions> pipelined = nullptr) const;

  // The caller of a live session; refreshes its idle timer.
  // kUnauthenticated when unknown or expired.
  StatusOr<Caller> BySession(std::string_view session_id) const;

  // Checks name and password; opens a session. kUnauthenticated on a wrong
  // name or password (one message for both), or an inactive user.
  StatusOr<LoginResult> Login(std::string_view name, std::string_view password,
                              std::string_view address = {}) const;

  // The caller named by `name` and `password`, without opening a session
  // (HTTP Basic credentials). kUnauthenticated "Invalid credential" on a
  // wrong name or password or an inactive user.
  StatusOr<Caller> ByPassword(std::string_view name, std::string_view password,
                              std::string_view address = {}) const;

  // OK when a password for `name` from `address` may be checked now;
  // kResourceExhausted {"retry_after": seconds} when failures hold it back.
  // Login and ByPassword ask it too; a route asks first, so that a refused
  // attempt does not wait for the password pool.
  Status LoginAllowed(std::string_view name, std::string_view address) const;

  // The caller of the active user `name`, without a credential: for the
  // local operator of `kith api --user`, who holds the data directory.
  // kNotFound for an unknown user, kUnauthenticated for an inactive one.
  StatusOr<Caller> ByUserName(std::string_view name) const;

  // Ends a session; OK when it did not exist.
  Status Logout(std::string_view session_id) const;

  // Creates a user within `txn`; returns its api key (the only time it is
  // seen in clear). kAlreadyExists for a taken name, kInvalidArgument for an
  // empty name or password.
  StatusOr<std::string> AddUser(store::Transaction& txn, const NewUser& user) const;

  // Gives the user `name` a new permanent api key within `txn` (generated
  // when `api_key` is empty) and returns it; the old key stops working.
  // kNotFound for an unknown user, kAlreadyExists when the key is in use.
  StatusOr<std::string> ReplaceApiKey(store::Transaction& txn, std::string_view name,
                                      std::string_view api_key) const;

  // Lets the user `name` in again, or keeps them out: an inactive user's
  // api key, sessions and password are all refused. kNotFound for an
  // unknown user.
  Status SetActive(store::Transaction& txn, std::string_view name, bool active) const;

  // Gives the user `name` the role `role` (one of roles()) within `txn`.
  // Every server sees it on the user's next request (it counts as a User
  // change, see known_keys_). kNotFound for an unknown user,
  // kInvalidArgument for an unknown role.
  Status SetRole(store::Transaction& txn, std::string_view name, std::string_view role) const;

  // Sets the password of the user `name` within `txn`; their sessions end.
  // kNotFound for an unknown user, kInvalidArgument for an empty password.
  Status SetPassword(store::Transaction& txn, std::string_view name,
                     std::string_view password) const;

  // One user as `kith user list` shows it (no secret, only whether a key is set).
  struct UserSummary {
    std::string name;
    int64_t contact_id = 0;
    std::string role;
    bool role_defined = true;  // false: the role is not (or no longer) in kith.toml
    bool active = true;
    bool api_key_set = false;
  };
  // Every user, by name.
  StatusOr<std::vector<UserSummary>> ListUsers(store::Transaction& txn) const;

  const RoleTable& roles() const { return options_.roles; }

 private:
  StatusOr<Caller> LoadCaller(store::Transaction& txn, int64_t user_id) const;
  StatusOr<Caller> FindApiKeyCaller(std::string_view api_key,
                                    std::unique_ptr<store::Transaction>* read_txn,
                                    std::shared_ptr<store::ReadAssumptions> pipelined) const;
  // Counts a password check's outcome for the throttle.
  void CountLogin(const Status& outcome, std::string_view name, std::string_view address) const;
  StatusOr<int64_t> UserId(store::Transaction& txn, std::string_view name) const;

  // The caller of a permanent api key as of `user_changes`, the store's
  // ChangeCount("User") when the User row was read.
  struct KnownKey {
    Caller caller;
    int64_t user_changes = 0;
  };
  // A key's User row is read once, not on every request (most requests
  // come with a key). An entry serves a transaction only when that
  // transaction sees the same count: any change to any user (a key
  // replaced, a user disabled, by this process or another) makes every
  // entry stale. By key hash; cleared when it holds kMaxKnownKeys.
  static constexpr size_t kMaxKnownKeys = 4096;
  mutable std::mutex known_keys_mutex_;
  mutable std::unordered_map<std::string, KnownKey> known_keys_;

  // This authenticator's number, unique in the process: a thread's last
  // known key (FindApiKeyCaller) names the authenticator that knew it.
  const uint64_t id_;
  store::Store& store_;
  AuthOptions options_;
  const Clock& clock_;
  mutable CredentialThrottle throttle_;
};

}  // namespace kith::auth
