// Small string helpers shared by every module. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith {

std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Parses a whole string as a signed 64-bit decimal integer (optional sign,
// digits only). std::nullopt for anything else, including overflow.
std::optional<int64_t> ParseInt64(std::string_view s);

// The length of the valid UTF-8 sequence starting at s[i] (1 for ASCII) and
// its code point in `cp`; 0 when the bytes there are not valid UTF-8
// (overlongs, surrogates and values past U+10FFFF are invalid).
size_t Utf8SequenceAt(std::string_view s, size_t i, uint32_t& cp);

// True when `s` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Trims ASCII white space at both ends.
std::string_view TrimAscii(std::string_view s);

// Splits `s` at every `sep`; with `skip_empty`, empty pieces are dropped.
std::vector<std::string_view> Split(std::string_view s, char sep, bool skip_empty = false);

// Joins `parts` with `sep` between them.
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace kith
