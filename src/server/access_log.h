// AccessLog: one JSON line per answered request (kith.toml access_log), on
// standard error or appended to a file:
//
//   {"time":"2026-12-06T09:12:03.123Z","protocol":"v4","method":"POST",
//    "path":"/civicrm/ajax/api4/Contact/get","entity":"Contact","action":"get",
//    "status":200,"duration_ms":0.412,"db_ms":0.101,"user_id":1,
//    "contact_id":2,"remote":"127.0.0.1"}
//
// plus "error" (a canonical code, e.g. "unauthenticated") when the answer
// is an error. Never the query string, a body, a header or a cookie, so never
// a key, a password or a session id.
//
// Lines are buffered and written by a thread of the log's own, a few times
// a second, so that no request waits for a write. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/request_record.h"
#include "base/status.h"
#include "http/http_message.h"

namespace kith::server {

class AccessLog {
 public:
  // `target`: "stderr", or a file path (created 0640, appended to).
  // kUnavailable when the file cannot be opened.
  static StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& target);
  // Writes what is still buffered.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // One answered request.
  void Log(const http::HttpRequest& request, const RequestRecord& record, int status,
           std::chrono::nanoseconds elapsed);

  // Opens the file again (after logrotate moved it; `kith serve` does this on
  // SIGHUP). Nothing to do for stderr.
  Status Reopen();

  // The line Log() writes, without its newline (for tests).
  static std::string FormatLine(const http::HttpRequest& request, const RequestRecord& record,
                                int status, std::chrono::nanoseconds elapsed);

 private:
  AccessLog(std::string path, int fd);
  void Append(std::string_view line);
  void FlushLoop();
  void WriteOut(const std::string& bytes);

  const std::string path_;  // "" for stderr
  std::mutex mu_;
  std::condition_variable wake_;
  std::string buffer_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  uint64_t dropped_ = 0;  // guarded by mu_: lines dropped while the writer was stuck
  std::mutex fd_mu_;       // held while writing
  int fd_;                 // guarded by fd_mu_ (swapped by Reopen)
  std::thread writer_;
};

}  // namespace kith::server
