// WalReadPin: a connection of the store's own that keeps a read transaction
// open, so that this process holds the shared lock on the WAL read mark of
// the newest snapshot. SQLite's unix VFS takes and drops a read mark's lock
// with fcntl() only for the first and last connection of a process that
// holds it; a store reader taking the pinned mark makes neither call (two
// of a get's syscalls).
//
// A read transaction left open holds back checkpoints: frames past its
// snapshot stay in the WAL (all of them while it reads the database file
// alone, read mark 0) and the WAL cannot start over. So the pin follows the
// store's readers: it is
// - let go for each of this store's writes (PauseForWrite until
//   ResumeAfterWrite), so that the commit's checkpoint runs as it would
//   without it, and not taken up again meanwhile;
// - taken afresh by the next reader after that;
// - let go for `idle_after` or a little more when a reader finds the
//   database changed by another process since its connection last read
//   (RunIntegersUnlessUnchanged tells it): a pin that is always
//   there but always behind that process's last commit would keep its
//   checkpoints from ever copying the whole WAL back, so its WAL could
//   never start over;
// - let go by its own thread, which looks every `idle_after`, once it was
//   taken at least `idle_after` before; the next reader takes it again, so
//   an idle server holds back nobody's checkpoint for long.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
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

  // `open` makes the pin's connection on first use; when the database is
  // not in WAL mode (where a held read lock would keep writers out), the
  // pin stays off.
  explicit WalReadPin(Opener open, Clock::duration idle_after = std::chrono::milliseconds(250));
  ~WalReadPin();
  WalReadPin(const WalReadPin&) = delete;
  WalReadPin& operator=(const WalReadPin&) = delete;

  // Before a reader begins: takes the pin when it is not held (nor paused).
  // Never waits: when another thread is at the pin, the reader goes on.
  void BeforeRead() {
    if (wanted_.load(std::memory_order_relaxed)) Take();
  }
  // A reader found the database changed since its connection last read;
  // `own_writes_since`: whether this store wrote since then (else another
  // process did, and the pin rests).
  void AfterChangeSeen(bool own_writes_since);
  // The store's writes so far (ResumeAfterWrite counts them).
  uint64_t writes() const { return writes_.load(std::memory_order_acquire); }
  // Around each of the store's write transactions (one at a time).
  void PauseForWrite();
  void ResumeAfterWrite();

  // Whether a read transaction is held now (tests).
  bool held() const;

 private:
  void Take();
  void ReleaseLocked();  // with mutex_ held
  void KeepWatch();      // the idle thread's loop
  void StartWatch();     // with mutex_ held: once
  bool Resting() const { return Clock::now() < resting_until_; }  // with mutex_ held

  const Opener open_;
  const Clock::duration idle_after_;
  // Whether a reader should take the pin: not held, no write running, not
  // off, not resting from another process's commit.
  std::atomic<bool> wanted_{true};
  std::atomic<uint64_t> writes_{0};

  mutable std::mutex mutex_;  // guards everything below
  std::unique_ptr<SqliteConnection> conn_;
  bool off_ = false;      // the database is not in WAL mode
  bool held_ = false;     // conn_ is in a read transaction
  bool writing_ = false;  // between PauseForWrite and ResumeAfterWrite
  Clock::time_point resting_until_ = {};  // after another process's commit
  Clock::time_point taken_ = {};
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread watch_;  // started with the first pin
};

}  // namespace kith::store::sqlite
