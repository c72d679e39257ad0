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

  // Bytes read from the stream ahead of the records returned (the stream's
  // position less these is where the next record starts).
  int64_t buffered() const { return static_cast<int64_t>(end_ - pos_); }

 private:
  static constexpr int kEnd = -1;
  // The next byte (kEnd at the end of input), taken or only looked at.
  int Get() {
    if (pos_ == end_ && !Fill()) return kEnd;
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  int Peek() {
    if (pos_ == end_ && !Fill()) return kEnd;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  bool Fill();

  std::istream& in_;
  // Read from the stream in blocks, so that a field's plain bytes are found
  // and copied as one run rather than a byte at a time.
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  bool started_ = false;
};

}  // namespace kith::cli
