#include "auth/authenticator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "auth/secrets.h"
#include "base/error_details.h"

namespace kith::auth {
namespace {

class FakeClock : public Clock {
 public:
  int64_t NowSeconds() const override { return now; }
  int64_t now = 1'700'000'000;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitSecrets().ok());
    char tmpl[] = "/tmp/kith-auth-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = store::OpenStore({.sqlite_path = dir_ + "/kith.db"}).value();
    auth_ = std::make_unique<Authenticator>(*store_, AuthOptions{"the-site-key-0123456789", 3600},
                                            clock_);
    auto txn = store_->Begin(true).value();
    int64_t contact = txn->Insert("Contact", {{"contact_type", "Individual"}}).value();
    api_key_ = auth_->AddUser(*txn, {"ada", "pw", "editor", contact, ""}).value();
    ASSERT_TRUE(txn->Commit().ok());
  }
  void TearDown() override {
    auth_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Authenticator> auth_;
  std::string api_key_;
};

TEST_F(AuthenticatorTest, ApiKeyIdentifiesTheUserAndIsStoredHashed) {
  auto caller = auth_->ByApiKey(api_key_);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->user_name, "ada");
  EXPECT_EQ(caller->role->name(), "editor");
  EXPECT_EQ(auth_->ByApiKey("wrong").status().code(), absl::StatusCode::kUnauthenticated);
  auto txn = store_->Begin(false).value();
  store::Query q;
  q.entity = "User";
  q.select = {"api_key_hash"};
  auto rows = txn->Select(q).value();
  EXPECT_EQ(rows[0]["api_key_hash"], HashToken(api_key_));
  EXPECT_NE(rows[0]["api_key_hash"], api_key_);
}

// A thread keeps the caller its last key was known as; an authenticator
// over another database, where the same key is another user's (and the
// users' change count is the same), answers with its own user.
TEST_F(AuthenticatorTest, TheSameKeyOnAnotherDatabaseIsThatDatabasesUser) {
  const std::string other_dir = dir_ + "-other";
  std::filesystem::create_directories(other_dir);
  auto other_store = store::OpenStore({.sqlite_path = other_dir + "/kith.db"}).value();
  auto other = std::make_unique<Authenticator>(*other_store, AuthOptions{"the-site-key-0123456789", 3600},
                                               clock_);
  auto txn = other_store->Begin(true).value();
  int64_t contact = txn->Insert("Contact", {{"contact_type", "Individual"}}).value();
  ASSERT_TRUE(other->AddUser(*txn, {"bob", "pw", "viewer", contact, api_key_}).ok());
  ASSERT_TRUE(txn->Commit().ok());
  txn.reset();
  for (int round = 0; round < 2; ++round) {
    auto ada = auth_->ByApiKey(api_key_);
    ASSERT_TRUE(ada.ok()) << ada.status();
    EXPECT_EQ(ada->user_name, "ada");
    auto bob = other->ByApiKey(api_key_);
    ASSERT_TRUE(bob.ok()) << bob.status();
    EXPECT_EQ(bob->user_name, "bob");
    EXPECT_EQ(bob->role->name(), "viewer");
  }
  other.reset();
  other_store.reset();
  std::filesystem::remove_all(other_dir);
}

TEST_F(AuthenticatorTest, FailuresPastTheLimitAreRefusedUncheckedAndCounted) {
  Authenticator strict(*store_,
                       AuthOptions{"the-site-key-0123456789", 3600,
                                   {.failed_logins_per_name = 2,
                                    .failed_credentials_per_address = 3,
                                    .window_seconds = 60}},
                       clock_);
  EXPECT_EQ(strict.Login("ada", "no", "192.0.2.1").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(strict.ByPassword("ada", "no", "192.0.2.2").status().code(),
            absl::StatusCode::kUnauthenticated);
  auto held = strict.Login("ada", "pw", "192.0.2.3");  // the right password, unchecked
  ASSERT_EQ(held.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorDetails(held.status())["retry_after"], 60);
  EXPECT_EQ(strict.ByPassword("ada", "pw", "192.0.2.4").status().code(),
            absl::StatusCode::kResourceExhausted);

  // Wrong keys from one address hold back that address, not others.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(strict.ByApiKey("wrong", nullptr, "198.51.100.4").ok());
  EXPECT_EQ(strict.ByApiKey(api_key_, nullptr, "198.51.100.4").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(strict.ByApiKey(api_key_, nullptr, "198.51.100.5").ok());
  clock_.now += 60;
  EXPECT_TRUE(strict.ByApiKey(api_key_, nullptr, "198.51.100.4").ok());
  EXPECT_TRUE(strict.Login("ada", "pw", "192.0.2.3").ok());  // the window has passed
}

TEST_F(AuthenticatorTest, AReplacedKeyOrADisabledUserIsRefusedAtOnce) {
  // Asked twice: the second answer comes from the remembered caller.
  ASSERT_TRUE(auth_->ByApiKey(api_key_).ok());
  ASSERT_TRUE(auth_->ByApiKey(api_key_).ok());
  auto txn = store_->Begin(true).value();
  auto fresh = auth_->ReplaceApiKey(*txn, "ada", "");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(auth_->ByApiKey(api_key_).status().code(), absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(auth_->ByApiKey(*fresh).ok());

  // Disabled through another store on the same file (another process).
  auto other = store::OpenStore({.sqlite_path = dir_ + "/kith.db"}).value();
  Authenticator other_auth(*other, AuthOptions{"the-site-key-0123456789", 3600}, clock_);
  txn = other->Begin(true).value();
  ASSERT_TRUE(other_auth.SetActive(*txn, "ada", false).ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(auth_->ByApiKey(*fresh).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->ByPassword("ada", "pw").status().code(), absl::StatusCode::kUnauthenticated);

  txn = store_->Begin(true).value();
  ASSERT_TRUE(auth_->SetActive(*txn, "ada", true).ok());
  EXPECT_EQ(auth_->SetActive(*txn, "nobody", true).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(auth_->ReplaceApiKey(*txn, "ada", *fresh).status().code(), absl::StatusCode::kOk);
  ASSERT_TRUE(txn->Commit().ok());
  auto caller = auth_->ByApiKey(*fresh);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->user_name, "ada");
}

TEST_F(AuthenticatorTest, RoleChangesAreServedAtOnceAndUndefinedRolesRefused) {
  auto roles = RoleTable::Make({{"fundraiser", {"access CiviCRM", "edit all contacts"}}});
  ASSERT_TRUE(roles.ok());
  // Another process's authenticator, which knows the custom role.
  auto other = store::OpenStore({.sqlite_path = dir_ + "/kith.db"}).value();
  Authenticator other_auth(*other, AuthOptions{"the-site-key-0123456789", 3600, {}, *roles}, clock_);
  ASSERT_TRUE(auth_->ByApiKey(api_key_).ok());  // remembered by key
  auto txn = other->Begin(true).value();
  ASSERT_TRUE(other_auth.SetRole(*txn, "ada", "fundraiser").ok());
  EXPECT_EQ(other_auth.SetRole(*txn, "ada", "nosuch").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(other_auth.SetRole(*txn, "nobody", "viewer").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(txn->Commit().ok());
  auto fundraiser = other_auth.ByApiKey(api_key_);
  ASSERT_TRUE(fundraiser.ok()) << fundraiser.status();
  EXPECT_TRUE(fundraiser->Has("edit all contacts"));
  EXPECT_FALSE(fundraiser->Has("view all contacts"));
  // This authenticator does not know the role: the remembered editor is not served.
  EXPECT_EQ(auth_->ByApiKey(api_key_).status().code(), absl::StatusCode::kUnauthenticated);

  txn = store_->Begin(true).value();
  auto users = auth_->ListUsers(*txn).value();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].name, "ada");
  EXPECT_EQ(users[0].role, "fundraiser");
  EXPECT_FALSE(users[0].role_defined);
  EXPECT_TRUE(users[0].active);
  EXPECT_TRUE(users[0].api_key_set);
  ASSERT_TRUE(auth_->SetRole(*txn, "ada", "viewer").ok());
  ASSERT_TRUE(txn->Commit().ok());
  auto viewer = auth_->ByApiKey(api_key_);
  ASSERT_TRUE(viewer.ok());
  EXPECT_EQ(viewer->role->name(), "viewer");
  EXPECT_FALSE(viewer->Has("edit all contacts"));
}

TEST_F(AuthenticatorTest, ANewPasswordEndsTheSessionsOfTheOldOne) {
  auto login = auth_->Login("ada", "pw");
  ASSERT_TRUE(login.ok());
  auto txn = store_->Begin(true).value();
  EXPECT_EQ(auth_->SetPassword(*txn, "ada", "").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(auth_->SetPassword(*txn, "ada", "new-pw").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_FALSE(auth_->BySession(login->session_id).ok());
  EXPECT_FALSE(auth_->ByPassword("ada", "pw").ok());
  EXPECT_TRUE(auth_->ByPassword("ada", "new-pw").ok());
}

TEST_F(AuthenticatorTest, LoginOpensASessionThatExpiresWhenIdle) {
  EXPECT_EQ(auth_->Login("ada", "nope").status().code(), absl::StatusCode::kUnauthenticated);
  auto login = auth_->Login("ada", "pw");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_TRUE(auth_->BySession(login->session_id).ok());
  EXPECT_TRUE(auth_->ByApiKey(login->api_key).ok());
  clock_.now += 3000;
  EXPECT_TRUE(auth_->BySession(login->session_id).ok());  // refreshes the idle timer
  clock_.now += 3000;
  EXPECT_TRUE(auth_->BySession(login->session_id).ok());
  clock_.now += 3601;
  EXPECT_FALSE(auth_->BySession(login->session_id).ok());
  EXPECT_FALSE(auth_->ByApiKey(login->api_key).ok());
}

TEST_F(AuthenticatorTest, LogoutEndsTheSessionAndItsKey) {
  auto login = auth_->Login("ada", "pw").value();
  ASSERT_TRUE(auth_->Logout(login.session_id).ok());
  EXPECT_FALSE(auth_->BySession(login.session_id).ok());
  EXPECT_FALSE(auth_->ByApiKey(login.api_key).ok());
  EXPECT_TRUE(auth_->ByApiKey(api_key_).ok()) << "the permanent key survives";
}

TEST_F(AuthenticatorTest, SiteKeyAndDuplicateUsers) {
  EXPECT_TRUE(auth_->CheckSiteKey("the-site-key-0123456789"));
  EXPECT_FALSE(auth_->CheckSiteKey("the-site-key-012345678"));
  EXPECT_FALSE(auth_->CheckSiteKey(""));
  auto txn = store_->Begin(true).value();
  EXPECT_EQ(auth_->AddUser(*txn, {"ada", "x", "viewer", 1, ""}).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(AuthenticatorTest, PasswordIdentifiesTheUserWithoutASession) {
  auto caller = auth_->ByPassword("ada", "pw");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->user_name, "ada");
  EXPECT_TRUE(caller->session_id.empty());
  EXPECT_EQ(auth_->ByPassword("ada", "nope").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->ByPassword("bob", "pw").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->ByPassword("ada", "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(CallerTest, AnonymousHoldsNoPermission) {
  Caller anonymous = Caller::Anonymous();
  EXPECT_FALSE(anonymous.Has("access CiviCRM"));
  EXPECT_FALSE(anonymous.Has("access AJAX API"));
  Caller viewer;
  EXPECT_TRUE(viewer.Has("access CiviCRM"));
}

}  // namespace
}  // namespace kith::auth
