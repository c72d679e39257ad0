// TarWriter / TarReader: the POSIX tar (ustar) archives that `kith backup`
// writes and `kith restore` reads: regular files and directories only,
// names up to 255 bytes (prefix + name), sizes past 8 GiB in GNU's base-256
// form. Any tar tool lists and extracts them. Not thread-safe.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "base/status.h"

namespace kith::cli {

class TarWriter {
 public:
  explicit TarWriter(std::ostream& out) : out_(out) {}

  // A directory entry `name` (relative, '/'-separated).
  Status AddDirectory(const std::string& name, uint32_t mode = 0700);
  // A file `name` with `size` bytes read from `in`. kInvalidArgument for a
  // name that does not fit; kDataLoss when `in` ends early.
  Status AddFile(const std::string& name, std::istream& in, uint64_t size, uint32_t mode = 0600);
  Status AddFile(const std::string& name, const std::string& content, uint32_t mode = 0600);
  // The two zero blocks that end an archive; then the stream's state.
  Status Finish();

 private:
  Status Header(const std::string& name, char type, uint64_t size, uint32_t mode);
  std::ostream& out_;
};

struct TarEntry {
  std::string name;  // as stored: relative, '/'-separated (checked: no "..", not absolute)
  bool directory = false;
  uint64_t size = 0;
};

class TarReader {
 public:
  explicit TarReader(std::istream& in) : in_(in) {}

  // The next entry's header; false at the end of the archive.
  // kDataLoss for a damaged or truncated archive or an unsafe name,
  // kUnimplemented for an entry that is neither a file nor a directory.
  StatusOr<bool> Next(TarEntry& entry);
  // The current file entry's content, written to `out` (call once per file,
  // before Next; a file whose content is not read is skipped by Next).
  Status ReadContent(std::ostream& out);
  Status ReadContent(std::string& out);

 private:
  Status Skip();
  std::istream& in_;
  uint64_t remaining_ = 0;  // content bytes of the current entry not yet read
  uint64_t padding_ = 0;    // then these up to the next block
};

}  // namespace kith::cli
