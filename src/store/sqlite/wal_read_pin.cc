#include "store/sqlite/wal_read_pin.h"

#include <utility>

namespace kith::store::sqlite {

WalReadPin::WalReadPin(Opener open, Clock::duration renew_after, Clock::duration idle_after)
    : open_(std::move(open)), renew_after_(renew_after), idle_after_(idle_after) {}

WalReadPin::~WalReadPin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    ReleaseLocked();
  }
  wake_.notify_all();
  if (watch_.joinable()) watch_.join();
}

void WalReadPin::Renew(Clock::time_point now) {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || writing_ || off_ || stop_) return;
  // Another reader may have renewed it since this one looked.
  if (now.time_since_epoch().count() < renew_at_.load(std::memory_order_relaxed)) return;
  renew_at_.store((now + renew_after_).time_since_epoch().count(), std::memory_order_relaxed);
  if (conn_ == nullptr) {
    auto conn = open_();
    if (!conn.ok()) return;  // tried again after renew_after
    // Outside WAL mode a held read lock would keep every writer out.
    if (!(*conn)->InWalMode()) {
      off_ = true;
      renew_at_.store(kNever, std::memory_order_relaxed);
      return;
    }
    conn_ = std::move(*conn);
  }
  const bool was_held = held_;
  ReleaseLocked();
  // The first read of the transaction takes the read mark of the newest
  // snapshot, which the readers that follow take too.
  Status s = conn_->Command("BEGIN");
  if (s.ok()) s = conn_->Command("PRAGMA schema_version");
  if (!s.ok()) {
    (void)conn_->Command("ROLLBACK");
    return;  // tried again after renew_after
  }
  held_ = true;
  renewed_ = now;
  if (!watch_.joinable()) {
    watch_ = std::thread([this] { KeepWatch(); });
  } else if (!was_held) {
    wake_.notify_one();  // the watch sleeps while nothing is held
  }
}

void WalReadPin::PauseForWrite() {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = true;
  renew_at_.store(kNever, std::memory_order_relaxed);
  ReleaseLocked();
}

void WalReadPin::ResumeAfterWrite() {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = false;
  if (!off_) renew_at_.store(0, std::memory_order_relaxed);
}

bool WalReadPin::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

void WalReadPin::ReleaseLocked() {
  if (!held_) return;
  (void)conn_->Command("COMMIT");
  held_ = false;
}

void WalReadPin::KeepWatch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (held_) {
      wake_.wait_for(lock, idle_after_);
    } else {
      wake_.wait(lock);  // until a reader pins again, or the end
    }
    if (!stop_ && held_ && Clock::now() - renewed_ >= idle_after_) ReleaseLocked();
  }
}

}  // namespace kith::store::sqlite
