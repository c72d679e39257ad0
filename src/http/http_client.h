// HttpPost: one outgoing HTTP/1.1 POST (http:// or https://, the latter
// with the system's certificate authorities and the host name checked),
// bounded by a deadline for the whole exchange: connect, TLS, request and
// answer. For webhooks (src/sync); one connection per call.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kith::http {

struct OutgoingPost {
  std::string url;  // http://host[:port]/path or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
  int timeout_ms = 10000;
  size_t answer_limit = 64 * 1024;  // an answer's body is read up to this, the rest dropped
};

struct PostAnswer {
  int status = 0;
  std::string body;
};

// Parts of an http(s) URL; nullopt-like error when it is not one.
struct UrlParts {
  bool tls = false;
  std::string host;
  std::string port;    // "80"/"443" unless given
  std::string target;  // "/path?query" ("/" when empty)
};
StatusOr<UrlParts> ParseHttpUrl(const std::string& url);

// The answer, whatever its status. kDeadlineExceeded past the timeout,
// kUnavailable when the host cannot be reached or the exchange breaks,
// kInvalidArgument for a URL that is not http(s).
StatusOr<PostAnswer> HttpPost(const OutgoingPost& post);

}  // namespace kith::http
