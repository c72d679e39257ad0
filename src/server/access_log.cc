#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

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

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    // Runs of plain bytes (nearly every line is only those) copied at once.
    size_t run = i;
    while (run < s.size() && Plain(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.data() + i, run - i);
    if (run == s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[run]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        // Bytes outside printable ASCII are escaped one by one: a line
        // stays valid JSON whatever a client put in a path.
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
    i = run + 1;
  }
  out += '"';
}

void AppendField(std::string& out, std::string_view name) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":";
}

// Milliseconds with three decimals, rounded to the microsecond (by hand: a
// printf per duration was a measurable part of a small request).
void AppendMillis(std::string& out, std::chrono::nanoseconds d) {
  int64_t micros = (std::max<int64_t>(d.count(), 0) + 500) / 1000;
  out += std::to_string(micros / 1000);
  char frac[4] = {static_cast<char>('0' + micros / 100 % 10),
                  static_cast<char>('0' + micros / 10 % 10), static_cast<char>('0' + micros % 10),
                  0};
  out += '.';
  out += frac;
}

// "2026-12-06T09:12:03.123Z". The part up to the seconds is formatted once a
// second per thread (gmtime and a printf per line were a tenth of the line).
std::string UtcNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  thread_local time_t formatted_second = -1;
  thread_local char seconds[80];
  if (ts.tv_sec != formatted_second) {
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    std::snprintf(seconds, sizeof seconds, "%04d-%02d-%02dT%02d:%02d:%02d.", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    formatted_second = ts.tv_sec;
  }
  long millis = ts.tv_nsec / 1000000;
  std::string out = seconds;
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
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

std::string AccessLog::FormatLine(const http::HttpRequest& request, const RequestRecord& record,
                                  int status, std::chrono::nanoseconds elapsed) {
  std::string out;
  out.reserve(256 + std::min(request.path.size(), kMaxPathBytes));
  out += '{';
  AppendField(out, "time");
  AppendJsonString(out, UtcNow());
  AppendField(out, "protocol");
  AppendJsonString(out, record.protocol);
  AppendField(out, "method");
  AppendJsonString(out, std::string_view(request.method).substr(0, 16));
  AppendField(out, "path");
  AppendJsonString(out, std::string_view(request.path).substr(0, kMaxPathBytes));
  if (record.call_noted) {
    AppendField(out, "entity");
    AppendJsonString(out, record.entity);
    AppendField(out, "action");
    AppendJsonString(out, record.action);
  }
  AppendField(out, "status");
  out += std::to_string(status);
  AppendField(out, "duration_ms");
  AppendMillis(out, elapsed);
  AppendField(out, "db_ms");
  AppendMillis(out, std::chrono::nanoseconds(record.database_nanos));
  if (record.user_id != 0) {
    AppendField(out, "user_id");
    out += std::to_string(record.user_id);
  }
  if (record.contact_id != 0) {
    AppendField(out, "contact_id");
    out += std::to_string(record.contact_id);
  }
  AppendField(out, "remote");
  AppendJsonString(out, request.remote_address);
  if (record.error != absl::StatusCode::kOk) {
    AppendField(out, "error");
    AppendJsonString(out, AsciiLower(absl::StatusCodeToString(record.error)));
  }
  out += '}';
  return out;
}

void AccessLog::Log(const http::HttpRequest& request, const RequestRecord& record, int status,
                    std::chrono::nanoseconds elapsed) {
  Append(FormatLine(request, record, status, elapsed));
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
