// HttpServer: an HTTP/1.1 server (Boost.Beast over Asio) that hands each
// complete request to one handler function and writes back its response.
//
// It owns the listening socket and a fixed pool of I/O threads. Keep-alive,
// pipelining-safe sequential handling per connection, request size limits
// and graceful shutdown are its business; what a request means is not.
// Thread-safety: the handler is called concurrently from the I/O threads.
// A handler whose answer needs slow work returns HttpResponse::deferred and
// gives the answer later from its own thread; the connection waits without
// holding an I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/http_message.h"

namespace kith::http {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // listen address
  uint16_t port = 8080;            // 0 picks a free port; see HttpServer::port()
  int threads = 2;                 // I/O threads, >= 1
  size_t body_limit = 8 * 1024 * 1024;  // larger bodies get 413
  size_t header_limit = 64 * 1024;      // larger headers get 431
  int idle_timeout_seconds = 60;        // idle keep-alive connections are closed
  // Open connections at most (0: no limit). A connection accepted past it
  // closes the connections that have waited longest for a request (idle
  // keep-alive, or a request still arriving; a sixteenth of the waiting
  // ones at once); when every connection is busy answering, the new one
  // gets a 503 and is closed.
  size_t max_connections = 0;
  // The 413 answer to a request whose body is over body_limit, given its
  // head (method, path, query, headers; the body is never read), so that a
  // protocol can refuse in its own format. Empty: a plain-text 413. Its
  // status is forced to 413; called on the I/O threads.
  std::function<HttpResponse(const HttpRequest& head)> body_limit_response;
  // HTTPS: PEM files of the certificate chain and its private key (TLS 1.2+,
  // see tls_context.h); both empty: plain HTTP. A connection that has not
  // finished its handshake within handshake_timeout_seconds is closed, and
  // is evicted at max_connections like an idle one.
  std::string tls_cert_file;
  std::string tls_key_file;
  int handshake_timeout_seconds = 10;
};

// Raises the process's soft open-file limit to its hard limit; returns the
// soft limit in force afterwards (for choosing max_connections).
uint64_t RaiseOpenFileLimit();

class HttpServer {
 public:
  // Binds and starts serving in background threads. Errors: kInvalidArgument
  // for a bad host or TLS files that cannot be used, kUnavailable when the address cannot be bound.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler handler);
  virtual ~HttpServer() = default;

  // The bound port (the real one when options.port was 0).
  virtual uint16_t port() const = 0;

  // The connections open now (accepted and not yet closed). Thread-safe.
  virtual size_t open_connections() const = 0;

  // Stops accepting, lets in-flight requests finish and their responses be
  // written, closes idle connections, then joins the threads. Idempotent.
  virtual void Stop() = 0;

  // Blocks until Stop() has completed (from another thread or a signal).
  virtual void Wait() = 0;
};

}  // namespace kith::http
