// NameHash: a transparent hash for maps keyed by short names (a field, an
// entity, a memo key), mixed eight bytes at a time inline: std::hash's
// out-of-line murmur cost some sixty instructions a lookup, and a bulk
// import looks names up dozens of times a row. Not noexcept, so that the
// standard maps keep each node's hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kith {

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
    uint64_t h = s.size() * kMul;
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * kMul;
      h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < n; ++i) tail |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    h = (h ^ tail) * kMul;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

}  // namespace kith
