// CredentialThrottle: how many wrong credentials kith hears before it stops
// listening for a while. Failures are counted in a sliding window (the last
// `window_seconds`) per user name (wrong passwords) and per client address
// (wrong passwords and wrong api keys); at the limit, further attempts are
// refused without being checked until the oldest failure leaves the window.
//
// The per-name limit stops a guesser who spreads over many addresses, but it
// must not let that guesser keep the real person out: an address from which
// a name has logged in successfully (in the last `trusted_seconds`) is not
// held back by that name's failures, only by its own address's. Someone on
// a new address waits at most one window after the guessing stops.
//
// State lives in this process only: each server counts on its own. Bounded:
// past kMaxEntries names or addresses, entries with no failure in the window
// are dropped first, then all. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace kith::auth {

struct ThrottleOptions {
  int64_t failed_logins_per_name = 10;
  int64_t failed_credentials_per_address = 100;
  int64_t window_seconds = 60;
  int64_t trusted_seconds = 30 * 24 * 3600;  // how long a good login's address is remembered
};

class CredentialThrottle {
 public:
  CredentialThrottle(ThrottleOptions options, const Clock& clock);

  // Seconds until a password for `name` from `address` may be checked; 0: now.
  int64_t LoginWait(std::string_view name, std::string_view address) const;
  // Seconds until any credential from `address` may be checked; 0: now.
  int64_t AddressWait(std::string_view address) const;

  // A wrong password for `name` (an unknown name counts the same).
  void LoginFailed(std::string_view name, std::string_view address);
  // A wrong api key.
  void KeyFailed(std::string_view address);
  // `name` logged in from `address`: that address is trusted for the name.
  void LoginSucceeded(std::string_view name, std::string_view address);

  static constexpr size_t kMaxEntries = 100000;

 private:
  // The times of the last failures, oldest first, at most `limit` of them.
  using Failures = std::unordered_map<std::string, std::deque<int64_t>>;

  int64_t Wait(const Failures& failures, const std::string& key, int64_t limit) const;
  void Count(Failures& failures, std::string key, int64_t limit);
  static std::string TrustKey(std::string_view name, std::string_view address);

  const ThrottleOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  Failures by_name_;     // guarded by mu_
  Failures by_address_;  // guarded by mu_
  // by_address_.size(), stored under mu_ whenever it changes: AddressWait
  // reads it without the lock.
  std::atomic<size_t> address_entries_{0};
  std::unordered_map<std::string, int64_t> trusted_;  // name\0address -> last good login; mu_
};

}  // namespace kith::auth
