// Field conditions: CiviCRM's filter syntax for one field, shared by the
// contact filters (3.2 search, APIv3 Contact.get) and the generic APIv3 gets.
// A criterion is
//   value              equality ("%" makes it a LIKE pattern when asked);
//   [v1, v2] / {0: v1} IN;
//   {"OP": operand}    = != <> > >= < <= IN, NOT IN, LIKE, NOT LIKE,
//                      BETWEEN, NOT BETWEEN, IS NULL, IS NOT NULL
//                      (operator names case-insensitive; lists as JSON
//                      arrays, bracket objects {"0": .., "1": ..} or
//                      comma-separated text).
// Values never reach SQL text: they become bound Condition values.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "base/value.h"
#include "store/query.h"

namespace kith::entities {

// The operator named `text`, or std::nullopt.
std::optional<store::Op> ParseFilterOperator(const std::string& text);

// True for {"OP": operand}: an object with one key that is not a list index.
bool IsOperatorObject(const Value& value);

// A list operand as a JSON array (see the forms above).
Value FilterList(const Value& value);

struct FieldMatchOptions {
  bool substring = false;           // a plain value matches as a substring
  bool percent_means_like = false;  // a plain value containing '%' is a LIKE pattern
};

// The condition `path <criterion>`; `key` names the criterion in errors.
// kInvalidArgument "invalid operator X for key" for an unknown operator, and
// for BETWEEN without two values.
StatusOr<store::Condition> BuildFieldCondition(const std::string& path, const std::string& key,
                                               const Value& criterion,
                                               const FieldMatchOptions& options);

}  // namespace kith::entities
