// Error details: CiviCRM's errors carry more than a message (an error_code
// such as "mandatory_missing", and extra keys such as "fields"). kith keeps
// canonical absl status codes and carries those details as a payload, so
// every protocol can render them in its own envelope.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/value.h"

namespace kith {

// Returns a Status with `code`, `message` and the detail object `details`
// (keys rendered before error_message in a v3 envelope, e.g.
// {"fields":["contact_type"],"error_code":"mandatory_missing"}).
Status ErrorWithDetails(absl::StatusCode code, std::string_view message,
                        const Value& details);

// The details attached to `status`; an empty object when there are none.
Value ErrorDetails(const Status& status);

// Shorthands for the canonical codes the core uses.
Status InvalidArgument(std::string_view message, const Value& details = Value::object());
Status NotFound(std::string_view message, const Value& details = Value::object());
Status AlreadyExists(std::string_view message, const Value& details = Value::object());
Status PermissionDenied(std::string_view message, const Value& details = Value::object());
Status Unauthenticated(std::string_view message, const Value& details = Value::object());
Status ResourceExhausted(std::string_view message, const Value& details = Value::object());
Status Internal(std::string_view message);

}  // namespace kith
