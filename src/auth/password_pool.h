// PasswordPool: the threads that hash and verify passwords, apart from the
// threads that serve requests. argon2id costs tens of milliseconds of CPU
// and 64 MiB by design; run where requests are served, a flood of wrong
// passwords would stall every other client. The queue is bounded: when it
// is full, TrySubmit refuses at once and the caller answers "too busy".
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kith::auth {

struct PasswordPoolOptions {
  int threads = 1;         // >= 1; on a small machine, leave the rest to serving
  size_t queue_limit = 16;  // jobs waiting beyond the running ones
};

class PasswordPool {
 public:
  explicit PasswordPool(PasswordPoolOptions options);
  ~PasswordPool();  // runs the jobs already queued, then joins

  PasswordPool(const PasswordPool&) = delete;
  PasswordPool& operator=(const PasswordPool&) = delete;

  // Queues `job`; false (and `job` dropped) when queue_limit jobs wait.
  bool TrySubmit(std::function<void()> job);

  // True on one of a pool's threads (work there needs no further hop).
  static bool OnPoolThread();

 private:
  void Run();

  const PasswordPoolOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace kith::auth
