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

// A hash of a random password, made with the same parameters as
// HashPassword's on first use (kith serve makes it at start). Checking a
// login for an unknown name against it costs what a wrong password costs,
// so the answer's timing does not tell who exists.
const std::string& DummyPasswordHash();

// Compares without leaking where the inputs differ (the length may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kith::auth
