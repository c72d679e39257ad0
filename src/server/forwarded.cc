#include "server/forwarded.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::server {
namespace {

// An IP address as 16 bytes (IPv4 mapped into IPv6), or nullopt.
std::optional<std::array<uint8_t, 16>> ParseAddress(std::string_view text) {
  std::string s(text);
  std::array<uint8_t, 16> bytes{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    bytes[10] = bytes[11] = 0xff;
    std::memcpy(bytes.data() + 12, &v4, 4);
    return bytes;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(bytes.data(), &v6, 16);
    return bytes;
  }
  return std::nullopt;
}

bool IsMappedV4(const std::array<uint8_t, 16>& bytes) {
  for (int i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

bool SamePrefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

// The values of every header named `name`, in order, split at commas.
std::vector<std::string_view> HeaderList(const http::HttpRequest& request, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [key, value] : request.headers) {
    if (key != name) continue;
    for (std::string_view item : Split(value, ',')) values.push_back(TrimAscii(item));
  }
  return values;
}

}  // namespace

StatusOr<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const std::string& entry : entries) {
    std::string_view text = TrimAscii(entry);
    size_t slash = text.find('/');
    auto bytes = ParseAddress(text.substr(0, slash));
    Range range;
    bool v4 = bytes && IsMappedV4(*bytes);
    int64_t max_bits = v4 ? 32 : 128;
    // Without a "/bits" suffix the range is the one address.
    int64_t bits = max_bits;
    bool valid = bytes.has_value();
    if (valid && slash != std::string_view::npos) {
      std::optional<int64_t> parsed = ParseInt64(text.substr(slash + 1));
      valid = parsed && *parsed >= 0 && *parsed <= max_bits;
      if (valid) bits = *parsed;
    }
    if (!valid) {
      return InvalidArgument("trusted_proxies: \"" + entry +
                             "\" is neither an IP address nor a CIDR range (10.0.0.0/8)");
    }
    range.bytes = *bytes;
    range.prefix_bits = static_cast<int>(v4 ? 96 + bits : bits);
    proxies.ranges_.push_back(range);
  }
  return proxies;
}

bool TrustedProxies::Contains(std::string_view address) const {
  if (ranges_.empty()) return false;
  auto bytes = ParseAddress(address);
  if (!bytes) return false;
  for (const Range& range : ranges_) {
    if (SamePrefix(*bytes, range.bytes, range.prefix_bits)) return true;
  }
  return false;
}

bool IsLoopback(std::string_view address) {
  // The usual peer of a local client, told without parsing it (a request
  // with credentials asks, and inet_pton cost some three hundred
  // instructions).
  if (address == "127.0.0.1" || address == "::1") return true;
  auto bytes = ParseAddress(address);
  if (!bytes) return false;
  if (IsMappedV4(*bytes)) return (*bytes)[12] == 127;
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  return *bytes == one;
}

http::HttpRequest Forwarded(http::HttpRequest request, const TrustedProxies& proxies) {
  if (!proxies.Contains(request.remote_address)) return request;
  // Right to left: each trusted proxy appended the address it was called
  // from; the first that is not a trusted proxy is the client.
  std::vector<std::string_view> hops = HeaderList(request, "x-forwarded-for");
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->empty()) continue;
    request.remote_address = std::string(it->substr(0, 64));
    if (!proxies.Contains(*it)) break;
  }
  std::vector<std::string_view> protos = HeaderList(request, "x-forwarded-proto");
  if (!protos.empty()) request.secure = EqualsIgnoreCase(protos.back(), "https");
  return request;
}

}  // namespace kith::server
