#include "wire/common/munge.h"

namespace kith::wire {

std::string Munge(std::string_view s) {
  std::string out;
  bool last_sep = false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (ok) {
      out += c;
      last_sep = false;
    } else if (!last_sep) {
      out += '_';
      last_sep = true;
    }
  }
  return out;
}

}  // namespace kith::wire
