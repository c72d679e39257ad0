#include "cli/csv_reader.h"

#include "base/error_details.h"

namespace kith::cli {

StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  if (!started_) {
    started_ = true;
    // A byte order mark, as spreadsheet programs write it.
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() != 3 || bom[1] != '\xBB' || bom[2] != '\xBF') {
        in_.clear();
        in_.seekg(0);
      }
    }
  }
  // Read from the stream's buffer: istream::get() builds a sentry per
  // character, which was most of the reading.
  std::streambuf& buf = *in_.rdbuf();
  int c = buf.sbumpc();
  if (c == std::char_traits<char>::eof()) return false;
  record_line_ = line_;
  fields.clear();
  std::string field;
  bool quoted = false;     // inside a quoted field
  bool was_quoted = false;  // the current field had quotes (then only , or EOL may follow)
  for (;; c = buf.sbumpc()) {
    if (c == std::char_traits<char>::eof()) {
      if (quoted) {
        return InvalidArgument("line " + std::to_string(record_line_) +
                               ": a quoted field is not closed");
      }
      break;
    }
    char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (buf.sgetc() == '"') {
          buf.sbumpc();
          field += '"';
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line_;
        field += ch;
      }
      continue;
    }
    if (ch == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      continue;
    }
    if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && buf.sgetc() == '\n') buf.sbumpc();
      ++line_;
      break;
    }
    if (was_quoted) {
      return InvalidArgument("line " + std::to_string(line_) +
                             ": text after a closing quote (a quote inside a field is written \"\")");
    }
    if (ch == '"' && field.empty()) {
      quoted = true;
      was_quoted = true;
      continue;
    }
    field += ch;
  }
  fields.push_back(std::move(field));
  return true;
}

}  // namespace kith::cli
