#include "auth/secrets.h"

#include <gtest/gtest.h>

namespace kith::auth {
namespace {

TEST(SecretsTest, TokensAreAlphanumericAndDistinct) {
  ASSERT_TRUE(InitSecrets().ok());
  std::string a = GenerateToken(40), b = GenerateToken(40);
  EXPECT_EQ(a.size(), 40u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)));
}

TEST(SecretsTest, HashIsHexSha256) {
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SecretsTest, PasswordsVerifyOnlyWhenEqual) {
  ASSERT_TRUE(InitSecrets().ok());
  auto hash = HashPassword("s3cret");
  ASSERT_TRUE(hash.ok());
  EXPECT_NE(hash->find("$argon2id$"), std::string::npos);
  EXPECT_TRUE(VerifyPassword("s3cret", *hash));
  EXPECT_FALSE(VerifyPassword("s3cret ", *hash));
  EXPECT_FALSE(VerifyPassword("s3cret", ""));
}

// An unknown name is checked against the dummy hash: it must cost what a
// real one costs, so its parameters (all before the salt) are the same.
TEST(SecretsTest, TheDummyHashHasTheParametersOfARealOne) {
  ASSERT_TRUE(InitSecrets().ok());
  auto parameters = [](const std::string& hash) { return hash.substr(0, hash.rfind('$', hash.rfind('$') - 1)); };
  std::string real = HashPassword("s3cret").value();
  ASSERT_FALSE(DummyPasswordHash().empty());
  EXPECT_EQ(parameters(DummyPasswordHash()), parameters(real));
  EXPECT_NE(DummyPasswordHash(), real);
  EXPECT_EQ(&DummyPasswordHash(), &DummyPasswordHash());  // made once
}

TEST(SecretsTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("key", "key"));
  EXPECT_FALSE(ConstantTimeEquals("key", "kex"));
  EXPECT_FALSE(ConstantTimeEquals("key", "keys"));
}

}  // namespace
}  // namespace kith::auth
