#include "cli/csv_reader.h"

#include "base/error_details.h"

namespace kith::cli {

bool CsvReader::Fill() {
  if (buf_.empty()) buf_.resize(64 * 1024);
  std::streamsize n = in_.rdbuf()->sgetn(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  pos_ = 0;
  end_ = n > 0 ? static_cast<size_t>(n) : 0;
  return end_ > 0;
}

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
  int c = Get();
  if (c == kEnd) return false;
  record_line_ = line_;
  fields.clear();
  std::string field;
  bool quoted = false;     // inside a quoted field
  bool was_quoted = false;  // the current field had quotes (then only , or EOL may follow)
  for (;; c = Get()) {
    if (c == kEnd) {
      if (quoted) {
        return InvalidArgument("line " + std::to_string(record_line_) +
                               ": a quoted field is not closed");
      }
      break;
    }
    char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (Peek() == '"') {
          ++pos_;
          field += '"';
        } else {
          quoted = false;
        }
        continue;
      }
      // The quoted text up to the next quote (or the buffer's end), at once.
      size_t run = pos_;
      while (run < end_ && buf_[run] != '"') ++run;
      for (size_t i = pos_ - 1; i < run; ++i) line_ += buf_[i] == '\n';
      field.append(buf_.data() + pos_ - 1, run - pos_ + 1);
      pos_ = run;
      continue;
    }
    if (ch == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      continue;
    }
    if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && Peek() == '\n') ++pos_;
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
    // The plain text up to the field's end (or the buffer's end), at once: a
    // quote inside it is text.
    size_t run = pos_;
    while (run < end_ && buf_[run] != ',' && buf_[run] != '\n' && buf_[run] != '\r') ++run;
    field.append(buf_.data() + pos_ - 1, run - pos_ + 1);
    pos_ = run;
  }
  fields.push_back(std::move(field));
  return true;
}

}  // namespace kith::cli
