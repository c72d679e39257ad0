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

TEST(SecretsTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("key", "key"));
  EXPECT_FALSE(ConstantTimeEquals("key", "kex"));
  EXPECT_FALSE(ConstantTimeEquals("key", "keys"));
}

}  // namespace
}  // namespace kith::auth
