// Field values: turning what a client sent (strings from forms, JSON values)
// into the typed values a field stores, with an error naming the field when
// that is impossible. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "base/row_sink.h"
#include "base/status.h"
#include "base/value.h"
#include "schema/schema.h"

namespace kith::api {

// The stored form of `input` for `field`:
//   Int: integers, or strings of digits; "" -> null
//   Bool: true/false, 0/1, "0"/"1"/"true"/"false"/"yes"/"no"/""
//   String/Text: strings (or numbers, as text), at most max_length characters
//   Date: "YYYY-MM-DD", "YYYYMMDD" (a time part is dropped) -> "YYYY-MM-DD"
//   DateTime: the same plus "HH:MM:SS" / "hhmmss" -> "YYYY-MM-DD HH:MM:SS"
//   Float/Money: numbers or numeric strings
//   serialized fields: a list (or an object's keys of true values, the
//   CheckBox form) -> "\x01a\x01b\x01"
// kInvalidArgument "<field> is not a valid <type>: <value>" with details
// {"error_code": 2001, "error_field": <field>} otherwise.
StatusOr<Value> CoerceFieldValue(const schema::Field& field, const Value& input);

// A calendar date check plus normalisation; std::nullopt when invalid.
std::optional<std::string> NormalizeDate(const std::string& text, bool with_time);

// The API's text form of a stored value (v2/v3 values are strings):
// null -> "", numbers as text, booleans "1"/"0".
std::string ValueAsText(const Value& value);

// ValueAsText of a cell a store read (Cell::ToValue), without a Value for
// the usual kinds: a view of the cell's text, or of `scratch` holding it.
std::string_view CellAsText(const Cell& cell, std::string& scratch);

// A stored date as CiviCRM's BAO hands it to MySQL, which its write answers
// echo: "2026-11-27 20:30:17" -> "20261127203017" (the digits only).
std::string MysqlDateDigits(const std::string& text);

}  // namespace kith::api
