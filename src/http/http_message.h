// HttpRequest / HttpResponse: kith's own plain view of one HTTP exchange, so
// that wire adapters and routing never see Boost.Beast types.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string path;    // the target up to '?', still percent-encoded
  std::string query;   // the target after '?', without the '?'
  // Header names lower-cased, in arrival order; repeated headers repeat.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's IP: the peer's, or the one a trusted proxy forwarded for
  // (server/forwarded.h).
  std::string remote_address;
  // The client's connection is encrypted: TLS to this server (set by the
  // server), or HTTPS to a trusted proxy in front of it.
  bool secure = false;
  // True once the client has closed its connection, so that a handler can
  // stop working for nobody. Set by the server; may be empty.
  std::function<bool()> client_gone;

  // The first header named `lower_name`, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

// A body written while it is being produced (HTTP/1.1 chunked transfer),
// for an answer too large to hold at once. The server asks for the next
// piece only once the previous one has been written to the socket, so a
// client that reads slowly holds the producer back instead of making the
// server buffer. Next() runs on the connection's I/O thread, one call at a
// time (not necessarily on the same thread each time).
class BodySource {
 public:
  enum class Piece {
    kMore,    // more pieces follow
    kLast,    // the body is complete with this piece
    kFailed,  // producing failed: the response is cut off without its
              // terminating chunk and the connection closed, so that no
              // client takes what it got for a complete answer
  };
  virtual ~BodySource() = default;
  // Appends the next piece of the body to `out` (empty is allowed).
  virtual Piece Next(std::string& out) = 0;
  // By when the whole body must be written: a write still waiting for the
  // client then closes the connection (the request's time limit).
  virtual std::chrono::steady_clock::time_point deadline() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=UTF-8";
  // Extra headers (Set-Cookie, Allow, ...). Content-Type/Length are set from
  // the fields above.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set when the answer is not ready yet: the server then ignores the fields
  // above and calls `deferred` once with a function that takes the real
  // response, callable once from any thread. The I/O thread is free in the
  // meantime (work that must not hold it, e.g. password hashing, runs on a
  // pool of its own).
  std::function<void(std::function<void(HttpResponse)>)> deferred = {};
  // Set for a streamed answer: the body is `body` followed by what `stream`
  // produces, sent chunked (to an HTTP/1.0 client: as it comes, the end
  // marked by closing the connection); no Content-Length.
  std::shared_ptr<BodySource> stream = {};
};

}  // namespace kith::http
