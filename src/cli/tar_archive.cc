#include "cli/tar_archive.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "base/error_details.h"
#include "base/strings.h"

namespace kith::cli {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxOctalSize = 077777777777ULL;  // 11 octal digits

using Block = std::array<char, kBlock>;

void PutOctal(char* field, size_t width, uint64_t value) {
  // width - 1 digits and a NUL.
  std::string digits(width - 1, '0');
  for (size_t i = width - 1; i-- > 0 && value > 0; value >>= 3) digits[i] = static_cast<char>('0' + (value & 7));
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

void PutSize(char* field, uint64_t size) {
  if (size <= kMaxOctalSize) {
    PutOctal(field, 12, size);
    return;
  }
  // GNU base-256: the high bit of the first byte set, the value big-endian.
  std::memset(field, 0, 12);
  field[0] = static_cast<char>(0x80);
  for (int i = 11; i >= 4; --i, size >>= 8) field[i] = static_cast<char>(size & 0xff);
}

std::optional<uint64_t> GetNumber(const char* field, size_t width) {
  if (static_cast<unsigned char>(field[0]) == 0x80) {
    uint64_t v = 0;
    for (size_t i = 1; i < width; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    v = (v << 3) | static_cast<uint64_t>(field[i] - '0');
    any = true;
  }
  if (i < width && field[i] != '\0' && field[i] != ' ') return std::nullopt;
  return any ? std::optional<uint64_t>(v) : std::optional<uint64_t>(0);
}

uint64_t Checksum(const Block& b) {
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(b[i]);
  }
  return sum;
}

std::string Field(const char* field, size_t width) {
  return std::string(field, strnlen(field, width));
}

bool SafeName(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  for (std::string_view part : Split(name, '/', true)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

}  // namespace

Status TarWriter::Header(const std::string& name, char type, uint64_t size, uint32_t mode) {
  Block b{};
  std::string prefix;
  std::string base = name;
  if (base.size() > 100) {
    // Split at a '/' so that the prefix has at most 155 bytes and the name 100.
    size_t cut = name.rfind('/', 155);
    while (cut != std::string::npos && name.size() - cut - 1 > 100) cut = std::string::npos;
    if (cut == std::string::npos || cut == 0) {
      return InvalidArgument("file name too long for a backup archive: " + name);
    }
    prefix = name.substr(0, cut);
    base = name.substr(cut + 1);
  }
  std::memcpy(&b[0], base.data(), base.size());
  PutOctal(&b[100], 8, mode);
  PutOctal(&b[108], 8, 0);  // uid
  PutOctal(&b[116], 8, 0);  // gid
  PutSize(&b[124], size);
  PutOctal(&b[136], 12, 0);  // mtime: a restore sets its own
  b[156] = type;
  std::memcpy(&b[257], "ustar", 6);
  std::memcpy(&b[263], "00", 2);
  std::memcpy(&b[345], prefix.data(), prefix.size());
  PutOctal(&b[148], 7, Checksum(b));
  b[155] = ' ';
  out_.write(b.data(), kBlock);
  return out_ ? Status() : absl::UnavailableError("cannot write the archive");
}

Status TarWriter::AddDirectory(const std::string& name, uint32_t mode) {
  return Header(!name.empty() && name.back() == '/' ? name : name + "/", '5', 0, mode);
}

Status TarWriter::AddFile(const std::string& name, std::istream& in, uint64_t size,
                          uint32_t mode) {
  KITH_RETURN_IF_ERROR(Header(name, '0', size, mode));
  std::vector<char> buffer(1 << 20);
  uint64_t left = size;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
    in.read(buffer.data(), static_cast<std::streamsize>(n));
    if (static_cast<size_t>(in.gcount()) != n) {
      return absl::DataLossError(name + " ended early while it was archived");
    }
    out_.write(buffer.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  static const Block kZeros{};
  out_.write(kZeros.data(), static_cast<std::streamsize>((kBlock - size % kBlock) % kBlock));
  return out_ ? Status() : absl::UnavailableError("cannot write the archive");
}

Status TarWriter::AddFile(const std::string& name, const std::string& content, uint32_t mode) {
  std::istringstream in(content);
  return AddFile(name, in, content.size(), mode);
}

Status TarWriter::Finish() {
  static const Block kZeros{};
  out_.write(kZeros.data(), kBlock);
  out_.write(kZeros.data(), kBlock);
  out_.flush();
  return out_ ? Status() : absl::UnavailableError("cannot write the archive");
}

Status TarReader::Skip() {
  std::vector<char> buffer(1 << 16);
  uint64_t left = remaining_ + padding_;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
    in_.read(buffer.data(), static_cast<std::streamsize>(n));
    if (static_cast<size_t>(in_.gcount()) != n) return absl::DataLossError("the archive is truncated");
    left -= n;
  }
  remaining_ = padding_ = 0;
  return Status();
}

StatusOr<bool> TarReader::Next(TarEntry& entry) {
  KITH_RETURN_IF_ERROR(Skip());
  Block b{};
  in_.read(b.data(), kBlock);
  if (in_.gcount() != static_cast<std::streamsize>(kBlock)) {
    return absl::DataLossError("the archive is truncated (no end marker)");
  }
  if (std::all_of(b.begin(), b.end(), [](char c) { return c == '\0'; })) return false;
  auto checksum = GetNumber(&b[148], 8);
  if (!checksum || *checksum != Checksum(b)) {
    return absl::DataLossError("the archive is damaged (a header's checksum does not match)");
  }
  std::string prefix = Field(&b[345], 155);
  std::string name = Field(&b[0], 100);
  if (!prefix.empty()) name = prefix + "/" + name;
  char type = b[156];
  auto size = GetNumber(&b[124], 12);
  if (!size) return absl::DataLossError("the archive is damaged (a bad size for " + name + ")");
  if (type == '5') {
    while (!name.empty() && name.back() == '/') name.pop_back();
  } else if (type != '0' && type != '\0') {
    return absl::UnimplementedError("the archive holds " + name +
                                    ", which is neither a file nor a directory");
  }
  if (!SafeName(name)) return absl::DataLossError("the archive holds an unsafe name: " + name);
  entry.name = name;
  entry.directory = type == '5';
  entry.size = entry.directory ? 0 : *size;
  remaining_ = entry.size;
  padding_ = (kBlock - entry.size % kBlock) % kBlock;
  return true;
}

Status TarReader::ReadContent(std::ostream& out) {
  std::vector<char> buffer(1 << 20);
  while (remaining_ > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, buffer.size()));
    in_.read(buffer.data(), static_cast<std::streamsize>(n));
    if (static_cast<size_t>(in_.gcount()) != n) return absl::DataLossError("the archive is truncated");
    out.write(buffer.data(), static_cast<std::streamsize>(n));
    if (!out) return absl::UnavailableError("cannot write what the archive holds");
    remaining_ -= n;
  }
  return Status();
}

Status TarReader::ReadContent(std::string& out) {
  std::ostringstream s;
  KITH_RETURN_IF_ERROR(ReadContent(s));
  out = s.str();
  return Status();
}

}  // namespace kith::cli
