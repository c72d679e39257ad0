// Who a request comes from, and whether its client's connection was
// encrypted, when reverse proxies stand in front of kith. X-Forwarded-For and
// X-Forwarded-Proto are believed only from the proxies kith.toml names
// (trusted_proxies): anyone else could write them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/http_message.h"

namespace kith::server {

// A set of addresses and CIDR ranges (IPv4 and IPv6).
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries like "10.0.0.1", "10.1.0.0/16", "::1", "fd00::/8".
  // kInvalidArgument naming the first entry that is neither.
  static StatusOr<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool empty() const { return ranges_.empty(); }
  bool Contains(std::string_view address) const;

 private:
  struct Range {
    std::array<uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix_bits = 128;
  };
  std::vector<Range> ranges_;
};

// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
bool IsLoopback(std::string_view address);

// `request` as its client made it: when its peer is a trusted proxy, the
// client address is the right-most X-Forwarded-For entry that is not itself
// a trusted proxy, and the connection is secure when the last
// X-Forwarded-Proto says "https" (without one, when the proxy's own
// connection is). From any other peer both headers are ignored and the
// request is returned unchanged.
http::HttpRequest Forwarded(http::HttpRequest request, const TrustedProxies& proxies);

}  // namespace kith::server
