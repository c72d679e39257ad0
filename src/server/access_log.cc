#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>
#include <vector>

#include "base/byte_words.h"
#include "base/strings.h"

namespace kith::server {
namespace {

// Past this much unwritten (a full disk, a stopped reader of stderr), new
// lines are dropped and counted instead of growing without bound.
constexpr size_t kMaxBuffered = 8 * 1024 * 1024;
// The writer wakes at least this often, and at once past kWakeBytes.
constexpr auto kFlushEvery = std::chrono::milliseconds(200);
constexpr size_t kWakeBytes = 64 * 1024;
constexpr size_t kMaxPathBytes = 200;

// Whether `c` goes into a JSON string as it is: printable ASCII, neither a
// quote nor a backslash.
// (A table: one look-up per byte of every line.)
bool Plain(unsigned char c) {
  static constexpr auto kPlain = [] {
    std::array<bool, 256> plain{};
    for (int b = 0x20; b < 0x7f; ++b) plain[b] = b != '"' && b != '\\';
    return plain;
  }();
  return kPlain[c];
}

// The most UtcNowInto writes (a year past 9999 is longer than the usual 24).
constexpr size_t kMaxTimeBytes = 80;

// "2026-12-06T09:12:03.123Z" written to `out` (room for kMaxTimeBytes); its
// length. The part up to the seconds is formatted once a second per thread
// (gmtime and a printf per line were a tenth of the line).
size_t UtcNowInto(char* out) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  thread_local time_t formatted_second = -1;
  thread_local char seconds[kMaxTimeBytes - 4];
  thread_local size_t seconds_size = 0;
  if (ts.tv_sec != formatted_second) {
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    int n = std::snprintf(seconds, sizeof seconds, "%04d-%02d-%02dT%02d:%02d:%02d.",
                          utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                          utc.tm_sec);
    seconds_size = std::min(static_cast<size_t>(std::max(n, 0)), sizeof seconds - 1);
    formatted_second = ts.tv_sec;
  }
  long millis = ts.tv_nsec / 1000000;
  std::memcpy(out, seconds, seconds_size);
  char* p = out + seconds_size;
  *p++ = static_cast<char>('0' + millis / 100);
  *p++ = static_cast<char>('0' + millis / 10 % 10);
  *p++ = static_cast<char>('0' + millis % 10);
  *p++ = 'Z';
  return static_cast<size_t>(p - out);
}

std::string UtcNow() {
  char text[kMaxTimeBytes];
  return std::string(text, UtcNowInto(text));
}

StatusOr<int> OpenFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::UnavailableError("cannot open the access log " + path + ": " +
                                  std::strerror(errno));
  }
  return fd;
}

}  // namespace

StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& target) {
  if (target == "stderr") return std::unique_ptr<AccessLog>(new AccessLog("", STDERR_FILENO));
  KITH_ASSIGN_OR_RETURN(int fd, OpenFile(target));
  return std::unique_ptr<AccessLog>(new AccessLog(target, fd));
}

AccessLog::AccessLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
  writer_ = std::thread([this] { FlushLoop(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (!path_.empty()) ::close(fd_);
}

Status AccessLog::Reopen() {
  if (path_.empty()) return Status();
  KITH_ASSIGN_OR_RETURN(int fd, OpenFile(path_));
  std::lock_guard<std::mutex> lock(fd_mu_);
  ::close(fd_);
  fd_ = fd;
  return Status();
}

namespace {

// Writes a line into room known to be large enough (FormatLine sizes it
// first): a line is some twenty pieces, and an append each, with its
// capacity check, was most of the line's cost.
class LineWriter {
 public:
  explicit LineWriter(char* at) : p_(at) {}
  char* end() const { return p_; }

  void Raw(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Char(char c) { *p_++ = c; }
  void Int(int64_t n) { p_ = std::to_chars(p_, p_ + 20, n).ptr; }

  // A JSON string: plain bytes as they are; a quote, a backslash, newline,
  // return and tab escaped with a backslash (\n, \r, \t); any other byte as
  // \u00XX (a line stays valid JSON whatever a client put in a path).
  void JsonString(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    *p_++ = '"';
    // The usual text, printable ASCII with nothing to escape, a word at a
    // time (DEL too is escaped here); the rest byte by byte.
    while (s.size() >= 8) {
      const uint64_t w = WordAt(s.data());
      if ((HasJsonSpecialByte(w) | HasByte(w, 0x7f)) != 0) break;
      std::memcpy(p_, s.data(), 8);
      p_ += 8;
      s.remove_prefix(8);
    }
    for (unsigned char c : s) {
      if (Plain(c)) {
        *p_++ = static_cast<char>(c);
        continue;
      }
      *p_++ = '\\';
      switch (c) {
        case '"': *p_++ = '"'; break;
        case '\\': *p_++ = '\\'; break;
        case '\n': *p_++ = 'n'; break;
        case '\r': *p_++ = 'r'; break;
        case '\t': *p_++ = 't'; break;
        default:
          *p_++ = 'u';
          *p_++ = '0';
          *p_++ = '0';
          *p_++ = kHex[c >> 4];
          *p_++ = kHex[c & 15];
      }
    }
    *p_++ = '"';
  }

  // Milliseconds with three decimals, rounded to the microsecond.
  void Millis(std::chrono::nanoseconds d) {
    int64_t micros = (std::max<int64_t>(d.count(), 0) + 500) / 1000;
    Int(micros / 1000);
    *p_++ = '.';
    *p_++ = static_cast<char>('0' + micros / 100 % 10);
    *p_++ = static_cast<char>('0' + micros / 10 % 10);
    *p_++ = static_cast<char>('0' + micros % 10);
  }

 private:
  char* p_;
};

// The most a JSON string of `s` takes: every byte escaped as \u00XX, quotes.
constexpr size_t EscapedBound(std::string_view s) { return 6 * s.size() + 2; }

}  // namespace

namespace {

// The line FormatLine returns, written into `room` (grown to the line's
// bound when smaller); a view of it there.
std::string_view WriteLine(const http::HttpRequest& request, const RequestRecord& record, int status,
                           std::chrono::nanoseconds elapsed, std::vector<char>& room) {
  char time_text[kMaxTimeBytes];
  const std::string_view time(time_text, UtcNowInto(time_text));
  const std::string_view method = std::string_view(request.method).substr(0, 16);
  const std::string_view path = std::string_view(request.path).substr(0, kMaxPathBytes);
  const std::string error =
      record.error != absl::StatusCode::kOk ? AsciiLower(absl::StatusCodeToString(record.error)) : "";
  // The names and numbers take under 300 bytes; the texts at most six a byte.
  size_t bound = 300 + EscapedBound(time) + EscapedBound(record.protocol) + EscapedBound(method) +
                 EscapedBound(path) + EscapedBound(request.remote_address) +
                 EscapedBound(error);
  if (record.call_noted) bound += EscapedBound(record.entity) + EscapedBound(record.action);
  if (room.size() < bound) room.resize(bound);
  LineWriter w(room.data());
  w.Raw("{\"time\":");
  w.JsonString(time);
  w.Raw(",\"protocol\":");
  w.JsonString(record.protocol);
  w.Raw(",\"method\":");
  w.JsonString(method);
  w.Raw(",\"path\":");
  w.JsonString(path);
  if (record.call_noted) {
    w.Raw(",\"entity\":");
    w.JsonString(record.entity);
    w.Raw(",\"action\":");
    w.JsonString(record.action);
  }
  w.Raw(",\"status\":");
  w.Int(status);
  w.Raw(",\"duration_ms\":");
  w.Millis(elapsed);
  w.Raw(",\"db_ms\":");
  w.Millis(std::chrono::nanoseconds(record.database_nanos));
  if (record.user_id != 0) {
    w.Raw(",\"user_id\":");
    w.Int(record.user_id);
  }
  if (record.contact_id != 0) {
    w.Raw(",\"contact_id\":");
    w.Int(record.contact_id);
  }
  w.Raw(",\"remote\":");
  w.JsonString(request.remote_address);
  if (!error.empty()) {
    w.Raw(",\"error\":");
    w.JsonString(error);
  }
  w.Char('}');
  return std::string_view(room.data(), static_cast<size_t>(w.end() - room.data()));
}

}  // namespace

std::string AccessLog::FormatLine(const http::HttpRequest& request, const RequestRecord& record,
                                  int status, std::chrono::nanoseconds elapsed) {
  std::vector<char> room;
  return std::string(WriteLine(request, record, status, elapsed, room));
}

void AccessLog::Log(const http::HttpRequest& request, const RequestRecord& record, int status,
                    std::chrono::nanoseconds elapsed) {
  // Written into this thread's room, kept from line to line: no text made,
  // zeroed and freed per request.
  thread_local std::vector<char> room;
  Append(WriteLine(request, record, status, elapsed, room));
}

void AccessLog::Append(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (buffer_.size() + line.size() + 1 > kMaxBuffered) {
      ++dropped_;
      return;
    }
    buffer_ += line;
    buffer_ += '\n';
    wake = buffer_.size() >= kWakeBytes;
  }
  if (wake) wake_.notify_one();
}

void AccessLog::FlushLoop() {
  std::string batch;
  for (;;) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, kFlushEvery,
                     [this] { return stopping_ || buffer_.size() >= kWakeBytes; });
      batch.swap(buffer_);
      if (dropped_ > 0) {
        batch += "{\"time\":\"" + UtcNow() + "\",\"dropped_lines\":" + std::to_string(dropped_) +
                 "}\n";
        dropped_ = 0;
      }
      stop = stopping_;
    }
    // Written outside mu_: requests append meanwhile.
    if (!batch.empty()) {
      std::lock_guard<std::mutex> lock(fd_mu_);
      WriteOut(batch);
    }
    batch.clear();
    if (stop) return;
  }
}

void AccessLog::WriteOut(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to write: the lines are lost, the server goes on
    done += static_cast<size_t>(n);
  }
}

}  // namespace kith::server
