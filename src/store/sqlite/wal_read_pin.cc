#include "store/sqlite/wal_read_pin.h"

#include <utility>

namespace kith::store::sqlite {

WalReadPin::WalReadPin(Opener open, Clock::duration idle_after)
    : open_(std::move(open)), idle_after_(idle_after) {}

WalReadPin::~WalReadPin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    ReleaseLocked();
  }
  wake_.notify_all();
  if (watch_.joinable()) watch_.join();
}

void WalReadPin::Take() {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || writing_ || off_ || stop_) return;
  // Another reader may have taken it since this one looked.
  if (held_) return;
  if (conn_ == nullptr) {
    auto conn = open_();
    if (!conn.ok()) return;  // tried again by the next reader
    // Outside WAL mode a held read lock would keep every writer out.
    if (!(*conn)->InWalMode()) {
      off_ = true;
      wanted_.store(false, std::memory_order_relaxed);
      return;
    }
    conn_ = std::move(*conn);
  }
  // The first read of the transaction takes the read mark of the newest
  // snapshot, which the readers that follow take too.
  Status s = conn_->Command("BEGIN");
  if (s.ok()) s = conn_->Command("PRAGMA schema_version");
  if (!s.ok()) {
    (void)conn_->Command("ROLLBACK");
    return;  // tried again by the next reader
  }
  held_ = true;
  wanted_.store(false, std::memory_order_relaxed);
  taken_ = Clock::now();
  StartWatch();
}

void WalReadPin::StartWatch() {
  if (!watch_.joinable()) watch_ = std::thread([this] { KeepWatch(); });
}

void WalReadPin::AfterChangeSeen(bool own_writes_since) {
  // The pin was let go for the store's write and taken after it (by the
  // first reader), so it has that write; each of the pool's connections
  // sees it once. When another process committed too, the pin may lag
  // behind that commit until the watch lets it go.
  if (own_writes_since) return;
  // Waited for (briefly: a take or a release): each connection sees another
  // process's commit once, so the sign must not be dropped.
  std::lock_guard<std::mutex> lock(mutex_);
  if (off_ || stop_) return;
  resting_until_ = Clock::now() + idle_after_;
  wanted_.store(false, std::memory_order_relaxed);
  ReleaseLocked();
  StartWatch();  // it ends the rest
}

void WalReadPin::PauseForWrite() {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = true;
  wanted_.store(false, std::memory_order_relaxed);
  ReleaseLocked();
}

void WalReadPin::ResumeAfterWrite() {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = false;
  writes_.fetch_add(1, std::memory_order_release);
  if (!off_ && !Resting()) wanted_.store(true, std::memory_order_relaxed);
}

bool WalReadPin::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

void WalReadPin::ReleaseLocked() {
  if (!held_) return;
  (void)conn_->Command("COMMIT");
  held_ = false;
  if (!writing_ && !off_ && !Resting()) wanted_.store(true, std::memory_order_relaxed);
}

void WalReadPin::KeepWatch() {
  std::unique_lock<std::mutex> lock(mutex_);
  // It looks every idle_after rather than being woken: a wake-up for each
  // time the pin is taken (after every write) costs more than these.
  while (!stop_) {
    wake_.wait_for(lock, idle_after_);
    if (stop_) break;
    if (held_ && Clock::now() - taken_ >= idle_after_) ReleaseLocked();
    if (!held_ && !writing_ && !off_ && !Resting()) wanted_.store(true, std::memory_order_relaxed);
  }
}

}  // namespace kith::store::sqlite
