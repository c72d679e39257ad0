// Text looked at eight bytes at a time: whether a word holds a byte of some
// kind, by word arithmetic (each test exact for the word as a whole, though
// not for which byte). Writers of JSON check the usual plain text this way
// rather than a byte at a time.
#pragma once

#include <cstdint>
#include <cstring>

namespace kith {

inline constexpr uint64_t kEachByte = 0x0101010101010101ULL;
inline constexpr uint64_t kEachHighBit = 0x8080808080808080ULL;

// The eight bytes at `p` as one word.
inline uint64_t WordAt(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Nonzero when some byte of `w` is zero.
constexpr uint64_t HasZeroByte(uint64_t w) { return (w - kEachByte) & ~w & kEachHighBit; }

// Nonzero when some byte of `w` is `b`.
constexpr uint64_t HasByte(uint64_t w, unsigned char b) { return HasZeroByte(w ^ (kEachByte * b)); }

// Nonzero when some byte of `w` is one a JSON string does not hold as it is
// among printable ASCII: under 0x20, over 0x7f, a quote or a backslash.
constexpr uint64_t HasJsonSpecialByte(uint64_t w) {
  return (w & kEachHighBit) | ((w - kEachByte * 0x20) & ~w & kEachHighBit) | HasByte(w, '"') |
         HasByte(w, '\\');
}

}  // namespace kith
