#include "auth/credential_throttle.h"

#include <algorithm>

namespace kith::auth {

CredentialThrottle::CredentialThrottle(ThrottleOptions options, const Clock& clock)
    : options_(options), clock_(clock) {}

std::string CredentialThrottle::TrustKey(std::string_view name, std::string_view address) {
  std::string key(name);
  key += '\0';
  key += address;
  return key;
}

int64_t CredentialThrottle::Wait(const Failures& failures, const std::string& key,
                                 int64_t limit) const {
  auto it = failures.find(key);
  if (it == failures.end() || static_cast<int64_t>(it->second.size()) < limit) return 0;
  // `limit` failures kept: the oldest leaves the window at its time + window.
  int64_t free_at = it->second.front() + options_.window_seconds;
  return std::max<int64_t>(0, free_at - clock_.NowSeconds());
}

void CredentialThrottle::Count(Failures& failures, std::string key, int64_t limit) {
  int64_t now = clock_.NowSeconds();
  if (failures.size() >= kMaxEntries && failures.find(key) == failures.end()) {
    std::erase_if(failures, [&](const auto& entry) {
      return entry.second.back() + options_.window_seconds <= now;
    });
    if (failures.size() >= kMaxEntries) failures.clear();
  }
  std::deque<int64_t>& times = failures[std::move(key)];
  times.push_back(now);
  while (static_cast<int64_t>(times.size()) > limit) times.pop_front();
}

int64_t CredentialThrottle::LoginWait(std::string_view name, std::string_view address) const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t wait = address.empty() ? 0
                                 : Wait(by_address_, std::string(address),
                                        options_.failed_credentials_per_address);
  auto trusted = trusted_.find(TrustKey(name, address));
  bool known_address = !address.empty() && trusted != trusted_.end() &&
                       clock_.NowSeconds() - trusted->second < options_.trusted_seconds;
  if (!known_address) {
    wait = std::max(wait, Wait(by_name_, std::string(name), options_.failed_logins_per_name));
  }
  return wait;
}

int64_t CredentialThrottle::AddressWait(std::string_view address) const {
  // Asked before every credential is checked: while no address has a
  // failure kept (the usual case), known without the lock.
  if (address.empty() || address_entries_.load(std::memory_order_acquire) == 0) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  return Wait(by_address_, std::string(address), options_.failed_credentials_per_address);
}

void CredentialThrottle::LoginFailed(std::string_view name, std::string_view address) {
  std::lock_guard<std::mutex> lock(mu_);
  Count(by_name_, std::string(name), options_.failed_logins_per_name);
  if (!address.empty()) {
    Count(by_address_, std::string(address), options_.failed_credentials_per_address);
    address_entries_.store(by_address_.size(), std::memory_order_release);
  }
}

void CredentialThrottle::KeyFailed(std::string_view address) {
  if (address.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  Count(by_address_, std::string(address), options_.failed_credentials_per_address);
  address_entries_.store(by_address_.size(), std::memory_order_release);
}

void CredentialThrottle::LoginSucceeded(std::string_view name, std::string_view address) {
  if (address.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_.NowSeconds();
  if (trusted_.size() >= kMaxEntries) {
    std::erase_if(trusted_, [&](const auto& entry) {
      return now - entry.second >= options_.trusted_seconds;
    });
    if (trusted_.size() >= kMaxEntries) trusted_.clear();
  }
  trusted_[TrustKey(name, address)] = now;
}

}  // namespace kith::auth
