#include "auth/credential_throttle.h"

#include <gtest/gtest.h>

#include <thread>

namespace kith::auth {
namespace {

class FakeClock : public Clock {
 public:
  int64_t NowSeconds() const override { return now; }
  int64_t now = 1000;
};

class CredentialThrottleTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  CredentialThrottle throttle_{{.failed_logins_per_name = 3,
                                .failed_credentials_per_address = 5,
                                .window_seconds = 60,
                                .trusted_seconds = 3600},
                               clock_};
};

TEST_F(CredentialThrottleTest, ANameIsHeldBackAtItsLimitUntilTheOldestFailureLeaves) {
  throttle_.LoginFailed("alice", "10.0.0.1");
  clock_.now += 10;
  throttle_.LoginFailed("alice", "10.0.0.2");
  throttle_.LoginFailed("alice", "10.0.0.3");
  EXPECT_EQ(throttle_.LoginWait("alice", "10.0.0.4"), 50);  // the first leaves at 1060
  EXPECT_EQ(throttle_.LoginWait("bob", "10.0.0.4"), 0);     // other names are not slowed
  clock_.now += 50;
  EXPECT_EQ(throttle_.LoginWait("alice", "10.0.0.4"), 0);  // sliding: one slot free again
  throttle_.LoginFailed("alice", "10.0.0.4");
  EXPECT_EQ(throttle_.LoginWait("alice", "10.0.0.4"), 10);
}

TEST_F(CredentialThrottleTest, AnAddressThatLoggedInBeforeIsNotHeldBackByTheNamesFailures) {
  throttle_.LoginSucceeded("alice", "192.0.2.7");
  for (int i = 0; i < 3; ++i) throttle_.LoginFailed("alice", "198.51.100.1");
  EXPECT_GT(throttle_.LoginWait("alice", "198.51.100.9"), 0);
  EXPECT_EQ(throttle_.LoginWait("alice", "192.0.2.7"), 0);
  // Trust ends after trusted_seconds without a good login.
  clock_.now += 3600;
  for (int i = 0; i < 3; ++i) throttle_.LoginFailed("alice", "198.51.100.1");
  EXPECT_GT(throttle_.LoginWait("alice", "192.0.2.7"), 0);
}

TEST_F(CredentialThrottleTest, AnAddressCountsWrongPasswordsAndKeysTogether) {
  throttle_.LoginFailed("alice", "203.0.113.5");
  throttle_.LoginFailed("bob", "203.0.113.5");
  for (int i = 0; i < 3; ++i) throttle_.KeyFailed("203.0.113.5");
  EXPECT_EQ(throttle_.AddressWait("203.0.113.5"), 60);
  EXPECT_EQ(throttle_.LoginWait("carol", "203.0.113.5"), 60);  // any name from there
  EXPECT_EQ(throttle_.AddressWait("203.0.113.6"), 0);
  // Even an address trusted for a name is held back by its own failures.
  throttle_.LoginSucceeded("carol", "203.0.113.5");
  EXPECT_EQ(throttle_.LoginWait("carol", "203.0.113.5"), 60);
}

// Before any failure no address waits (known without the lock); failures
// counted on another thread hold their address back on this one.
TEST_F(CredentialThrottleTest, FailuresCountedOnAnotherThreadHoldTheAddressBackHere) {
  EXPECT_EQ(throttle_.AddressWait("198.51.100.2"), 0);
  std::thread other([&] {
    for (int i = 0; i < 4; ++i) throttle_.KeyFailed("198.51.100.2");
  });
  other.join();
  EXPECT_EQ(throttle_.AddressWait("198.51.100.2"), 0);  // under the limit
  std::thread fifth([&] { throttle_.LoginFailed("dave", "198.51.100.2"); });
  fifth.join();
  EXPECT_EQ(throttle_.AddressWait("198.51.100.2"), 60);
  EXPECT_EQ(throttle_.AddressWait("198.51.100.3"), 0);
}

TEST_F(CredentialThrottleTest, AnEmptyAddressIsNotCounted) {
  for (int i = 0; i < 10; ++i) throttle_.KeyFailed("");
  EXPECT_EQ(throttle_.AddressWait(""), 0);
}

}  // namespace
}  // namespace kith::auth
