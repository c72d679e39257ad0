#include "server/forwarded.h"

#include <gtest/gtest.h>

namespace kith::server {
namespace {

http::HttpRequest From(std::string peer, std::vector<std::pair<std::string, std::string>> headers,
                       bool tls = false) {
  http::HttpRequest r;
  r.remote_address = std::move(peer);
  r.headers = std::move(headers);
  r.secure = tls;
  return r;
}

TEST(TrustedProxiesTest, AddressesAndRanges) {
  auto proxies = TrustedProxies::Parse({"10.0.0.1", "192.168.0.0/16", "fd00::/8", "::1"});
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  EXPECT_TRUE(proxies->Contains("10.0.0.1"));
  EXPECT_FALSE(proxies->Contains("10.0.0.2"));
  EXPECT_TRUE(proxies->Contains("192.168.44.3"));
  EXPECT_FALSE(proxies->Contains("192.169.0.1"));
  EXPECT_TRUE(proxies->Contains("fd12::7"));
  EXPECT_TRUE(proxies->Contains("::1"));
  EXPECT_FALSE(proxies->Contains("127.0.0.1"));
  EXPECT_FALSE(proxies->Contains("not an address"));
  for (const char* bad : {"10.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "proxy.example.org"}) {
    EXPECT_FALSE(TrustedProxies::Parse({bad}).ok()) << bad;
  }
}

TEST(ForwardedTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  // (Told without a parse: only these two exact texts.)
  EXPECT_FALSE(IsLoopback("127.0.0.1 "));
  EXPECT_FALSE(IsLoopback("::2"));
  EXPECT_TRUE(IsLoopback("127.8.0.3"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopback("10.0.0.1"));
  EXPECT_FALSE(IsLoopback(""));
}

TEST(ForwardedTest, HeadersBelievedOnlyFromTrustedProxies) {
  auto proxies = *TrustedProxies::Parse({"10.0.0.1", "10.0.0.2"});
  auto untrusted = Forwarded(
      From("203.0.113.5", {{"x-forwarded-for", "127.0.0.1"}, {"x-forwarded-proto", "https"}}),
      proxies);
  EXPECT_EQ(untrusted.remote_address, "203.0.113.5");
  EXPECT_FALSE(untrusted.secure);

  // The right-most hop that is not a trusted proxy is the client; what it
  // claims to the left of itself is not believed.
  auto chain = Forwarded(From("10.0.0.1", {{"x-forwarded-for", "127.0.0.1, 198.51.100.4"},
                                           {"x-forwarded-for", "10.0.0.2"},
                                           {"x-forwarded-proto", "https"}}),
                         proxies);
  EXPECT_EQ(chain.remote_address, "198.51.100.4");
  EXPECT_TRUE(chain.secure);

  auto last_proto = Forwarded(
      From("10.0.0.1", {{"x-forwarded-for", "198.51.100.4"}, {"x-forwarded-proto", "https, http"}}),
      proxies);
  EXPECT_FALSE(last_proto.secure);

  // No headers: the proxy itself, as secure as its own connection.
  auto bare = Forwarded(From("10.0.0.1", {}, /*tls=*/true), proxies);
  EXPECT_EQ(bare.remote_address, "10.0.0.1");
  EXPECT_TRUE(bare.secure);
}

}  // namespace
}  // namespace kith::server
