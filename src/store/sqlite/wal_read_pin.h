// WalReadPin: a connection of the store's own that keeps a read transaction
// open, so that this process holds the shared lock on the WAL read mark of
// the newest snapshot. SQLite's unix VFS takes and drops a read mark's lock
// with fcntl() only for the first and last connection of a process that
// holds it; a store reader taking the pinned mark makes neither call (two
// of a get's syscalls).
//
// A read transaction left open holds back checkpoints: frames past its
// snapshot stay in the WAL (all of them while it reads the database file
// alone, read mark 0) and the WAL cannot start over. So the pin
// - is let go for each of this store's writes (PauseForWrite until
//   ResumeAfterWrite), so that the commit's checkpoint runs as it would
//   without it, and is not taken up again meanwhile;
// - is taken afresh by the first reader after `renew_after`, following
//   other processes' commits;
// - is let go by its own thread once no reader has renewed it for
//   `idle_after`, so that an idle server holds back nobody's checkpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "store/sqlite/sqlite_connection.h"

namespace kith::store::sqlite {

class WalReadPin {
 public:
  using Clock = std::chrono::steady_clock;
  using Opener = std::function<StatusOr<std::unique_ptr<SqliteConnection>>()>;

  // `open` makes the pin's connection on first use; when it fails, or the
  // database is not in WAL mode (where a held read lock would block
  // writers), the pin stays off.
  explicit WalReadPin(Opener open, Clock::duration renew_after = std::chrono::milliseconds(50),
                      Clock::duration idle_after = std::chrono::milliseconds(250));
  ~WalReadPin();
  WalReadPin(const WalReadPin&) = delete;
  WalReadPin& operator=(const WalReadPin&) = delete;

  // Before a reader begins (`now` its start): renews the pin when it is due.
  // Never waits: when another thread is at the pin, the reader goes on.
  void BeforeRead(Clock::time_point now) {
    if (now.time_since_epoch().count() < renew_at_.load(std::memory_order_relaxed)) return;
    Renew(now);
  }
  // Around each of the store's write transactions (one at a time).
  void PauseForWrite();
  void ResumeAfterWrite();

  // Whether a read transaction is held now (tests).
  bool held() const;

 private:
  void Renew(Clock::time_point now);
  void ReleaseLocked();  // with mutex_ held
  void KeepWatch();      // the idle thread's loop

  static constexpr Clock::rep kNever = std::numeric_limits<Clock::rep>::max();

  const Opener open_;
  const Clock::duration renew_after_;
  const Clock::duration idle_after_;
  // The time (steady clock ticks) from which a reader renews the pin;
  // kNever while a write runs or when the pin is off.
  std::atomic<Clock::rep> renew_at_{0};

  mutable std::mutex mutex_;  // guards everything below
  std::unique_ptr<SqliteConnection> conn_;
  bool off_ = false;      // no connection to be had, or not WAL
  bool held_ = false;     // conn_ is in a read transaction
  bool writing_ = false;  // between PauseForWrite and ResumeAfterWrite
  Clock::time_point renewed_ = {};
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread watch_;  // started with the first pin
};

}  // namespace kith::store::sqlite
