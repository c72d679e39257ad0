#include "auth/secrets.h"

#include <sodium.h>

#include "base/error_details.h"

namespace kith::auth {

Status InitSecrets() {
  if (sodium_init() < 0) return Internal("libsodium could not be initialised");
  return Status();
}

std::string GenerateToken(size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kSize = sizeof(kAlphabet) - 1;
  // Random bytes from the system a few kilobytes at a time, kept per thread
  // (a system call per token was a few percent of a bulk import: every
  // contact created gets one). Bytes at or above the largest multiple of the
  // alphabet's size are dropped, so each character stays uniform.
  constexpr unsigned kLimit = 256 - 256 % kSize;
  struct RandomBytes {
    unsigned char bytes[4096];
    size_t next = sizeof bytes;  // all used
  };
  thread_local RandomBytes random;
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    if (random.next == sizeof random.bytes) {
      randombytes_buf(random.bytes, sizeof random.bytes);
      random.next = 0;
    }
    unsigned char b = random.bytes[random.next];
    random.bytes[random.next++] = 0;  // not left behind in memory once used
    if (b >= kLimit) continue;
    out += kAlphabet[b % kSize];
  }
  return out;
}

std::string HashToken(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

StatusOr<std::string> HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& stored_hash) {
  if (stored_hash.empty()) return false;
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& DummyPasswordHash() {
  static const std::string hash = [] {
    StatusOr<std::string> made = HashPassword(GenerateToken(32));
    return made.ok() ? *made : std::string();
  }();
  return hash;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kith::auth
