// How a webhook delivery is signed, so that its receiver can tell it came
// from kith and was not replayed later: X-Kith-Signature is "sha256=" and
// the hex HMAC-SHA256, under the webhook's secret, of
// "<X-Kith-Timestamp>.<body>". README "Verifying a webhook" shows the check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kith::sync {

// Lower-case hex of HMAC-SHA256(key, message).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// The X-Kith-Signature value of `body` sent at `timestamp` (Unix seconds).
std::string WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body);

}  // namespace kith::sync
