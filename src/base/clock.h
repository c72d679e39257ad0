// Clock: the time source, injected so that tests of expiry need no sleeping.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace kith {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual int64_t NowSeconds() const = 0;
  // The process-wide real clock.
  static const Clock& Real();
};

// "YYYY-MM-DD HH:MM:SS" in UTC, CiviCRM's datetime text form.
std::string FormatDateTime(int64_t unix_seconds);

}  // namespace kith
