// CSV output (RFC 4180) for the commands that write tables: `kith export`,
// `kith api --format csv` and `kith import`'s reject file. A field is
// quoted when it holds a comma, a quote, CR or LF (quotes doubled), or
// leading or trailing spaces; records end with LF (kith import and
// spreadsheets read LF and CRLF alike).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/value.h"

namespace kith::cli {

// Writes `field` to `out`, quoted when it needs to be.
void WriteCsvField(std::ostream& out, std::string_view field);

// Writes the fields separated by commas and ends the record.
void WriteCsvRecord(std::ostream& out, const std::vector<std::string>& fields);

// The text of an API value in a cell: a string as is, null as empty, true
// and false as 1 and 0 (what a create takes back), numbers and lists as
// JSON.
std::string CellText(const Value& value);

}  // namespace kith::cli
