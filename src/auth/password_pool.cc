#include "auth/password_pool.h"

#include <algorithm>

namespace kith::auth {
namespace {
thread_local bool tls_on_pool_thread = false;
}  // namespace

PasswordPool::PasswordPool(PasswordPoolOptions options) : options_(options) {
  int n = std::max(1, options_.threads);
  threads_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

PasswordPool::~PasswordPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool PasswordPool::TrySubmit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_limit) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

bool PasswordPool::OnPoolThread() { return tls_on_pool_thread; }

void PasswordPool::Run() {
  tls_on_pool_thread = true;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace kith::auth
