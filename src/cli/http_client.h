// A minimal HTTP/1.1 client (Boost.Beast, plain TCP) for the commands that
// talk to a running kith server: one request, one answer, then close.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kith::cli {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// POSTs `body` (of `content_type`) to `base_url` + `path`, where base_url
// is http://HOST[:PORT][/PREFIX]. kInvalidArgument for a URL that is not
// http://; kUnavailable when the server cannot be reached or answers
// something that is not HTTP.
StatusOr<HttpReply> HttpPost(const std::string& base_url, const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::string& content_type, const std::string& body);

// `text` percent-encoded for a form body (application/x-www-form-urlencoded).
std::string FormEncode(std::string_view text);

}  // namespace kith::cli
