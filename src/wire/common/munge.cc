#include "wire/common/munge.h"

namespace kith::wire {

std::string Munge(std::string_view s) {
  // Written into room for every byte, then cut: an append per byte checked
  // the capacity each time.
  std::string out(s.size(), '\0');
  char* p = out.data();
  bool last_sep = false;
  for (char c : s) {
    if (MungeKeeps(c)) {
      *p++ = c;
      last_sep = false;
    } else if (!last_sep) {
      *p++ = '_';
      last_sep = true;
    }
  }
  out.resize(static_cast<size_t>(p - out.data()));
  return out;
}

}  // namespace kith::wire
