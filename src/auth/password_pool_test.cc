#include "auth/password_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace kith::auth {
namespace {

TEST(PasswordPoolTest, RunsJobsOnItsOwnThreads) {
  PasswordPool pool({.threads = 1, .queue_limit = 4});
  EXPECT_FALSE(PasswordPool::OnPoolThread());
  std::promise<bool> on_pool;
  ASSERT_TRUE(pool.TrySubmit([&] { on_pool.set_value(PasswordPool::OnPoolThread()); }));
  EXPECT_TRUE(on_pool.get_future().get());
}

TEST(PasswordPoolTest, AFullQueueRefusesAtOnce) {
  PasswordPool pool({.threads = 1, .queue_limit = 2});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the one thread is busy
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // two wait already
  release.set_value();
  std::promise<void> done;
  while (!pool.TrySubmit([&] { done.set_value(); })) {
  }
  done.get_future().wait();
  EXPECT_EQ(ran.load(), 2);
}

TEST(PasswordPoolTest, QueuedJobsRunBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  {
    PasswordPool pool({.threads = 2, .queue_limit = 8});
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 6);
}

}  // namespace
}  // namespace kith::auth
