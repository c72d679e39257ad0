// Status and StatusOr: errors are values in kith, never exceptions across a
// module boundary. Libraries that throw are caught once, at the adapter that
// calls them.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kith {

using Status = absl::Status;
template <typename T>
using StatusOr = absl::StatusOr<T>;

}  // namespace kith

#define KITH_STATUS_CONCAT_INNER(a, b) a##b
#define KITH_STATUS_CONCAT(a, b) KITH_STATUS_CONCAT_INNER(a, b)

// Returns from the current function when `expr` (a Status) is not OK.
#define KITH_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::absl::Status kith_status_ = (expr);          \
    if (!kith_status_.ok()) return kith_status_;   \
  } while (0)

// `KITH_ASSIGN_OR_RETURN(auto x, Foo());` assigns the value of a StatusOr or
// returns its error.
#define KITH_ASSIGN_OR_RETURN(lhs, expr) \
  KITH_ASSIGN_OR_RETURN_IMPL(KITH_STATUS_CONCAT(kith_statusor_, __LINE__), lhs, expr)
#define KITH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
