// CsvReader: reads RFC 4180 CSV (commas, double-quoted fields with "" for a
// quote, CRLF or LF line ends, quoted fields may span lines) one record at a
// time from a stream, for `kith import`. A UTF-8 byte order mark before the
// first record is skipped. Text is passed through as bytes; the caller
// checks encoding.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "base/status.h"

namespace kith::cli {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}

  // Reads the next record into `fields`. Returns false at the end of input
  // (fields untouched); an error for a quote left open at the end or text
  // after a closing quote, naming the line. A blank line is a record with
  // one empty field.
  StatusOr<bool> Next(std::vector<std::string>& fields);

  // The line the last record returned by Next() started on (1-based).
  int64_t record_line() const { return record_line_; }

 private:
  std::istream& in_;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  bool started_ = false;
};

}  // namespace kith::cli
