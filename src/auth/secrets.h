// Secrets: random tokens, their hashes, password hashing and constant-time
// comparison (libsodium). api keys and session ids are long random tokens,
// so a fast cryptographic hash is enough to store them; passwords are
// human-chosen and get argon2id. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kith::auth {

// Initialises libsodium; call once before anything else here (idempotent).
Status InitSecrets();

// A random token of `length` characters from [A-Za-z0-9].
std::string GenerateToken(size_t length);

// Hex SHA-256 of `token`, the stored form of api keys and session ids.
std::string HashToken(std::string_view token);

// argon2id hash string (salt and parameters included).
StatusOr<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view password, const std::string& stored_hash);

// Compares without leaking where the inputs differ (the length may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kith::auth
