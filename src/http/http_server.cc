// HttpServer over Boost.Beast: one io_context run by a fixed thread pool, one
// strand per connection, requests read and answered strictly in order.
//
// Shutdown model: Stop() marks the server stopping, closes the acceptor and
// asks every connection (on its strand) to shut down. A connection waiting
// for a new request is cancelled at once; one that is reading a request,
// running the handler or writing a response finishes that exchange (the
// response then says "Connection: close") and closes. When the last
// connection is gone the io_context runs out of work, the threads return
// and Stop() joins them.
#include "http/http_server.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <charconv>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/strings.h"
#include "http/tls_context.h"

namespace kith::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;

// How long a connection that is being closed after an error response keeps
// draining what the client still sends (so that the close does not turn into
// a reset that destroys the response in flight), and how much it drains.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr size_t kLingerMaxBytes = 1024 * 1024;

Status MakeStatus(absl::StatusCode code, const std::string& message) {
  return Status(code, absl::string_view(message.data(), message.size()));
}

bool HasControlChars(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

class ServerImpl;

// Set on the I/O threads so that Stop() called from a handler does not try
// to join the thread it runs on.
thread_local const ServerImpl* tls_current_server = nullptr;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerImpl* server, uint64_t id, tcp::socket socket);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading requests; call once, from any thread.
  void Start();
  // Asks the connection to finish the current exchange (if any) and close.
  // Thread-safe: hops onto the connection's strand.
  void RequestShutdown();
  // Since when the connection has waited for a request (steady_clock ticks),
  // or 0 while it answers one. Thread-safe.
  int64_t waiting_since() const { return waiting_since_.load(std::memory_order_acquire); }
  // Takes the connection for eviction when it is still waiting: true when
  // this call took it (it will close). Thread-safe.
  bool TakeForEviction();

 private:
  enum class State { kHandshake, kIdle, kReading, kWriting, kLingering, kClosed };

  // Runs `io(stream)` on the TLS stream, or on the plain socket.
  template <class Io>
  void WithStream(Io&& io) {
    if (tls_) {
      io(*tls_);
    } else {
      io(socket_);
    }
  }
  void MarkWaiting();
  void DoHandshake();
  void DoReadHeader();
  void OnReadHeader(beast::error_code ec);
  void OnContinueWritten(beast::error_code ec);
  void DoReadBody();
  void OnReadBody(beast::error_code ec);
  void HandleReadError(beast::error_code ec);
  void HandleRequest();
  void Respond(HttpResponse response, bool client_keep_alive, bool is_head);
  void SendError(unsigned status, std::string_view text, bool linger,
                 std::string_view content_type = "text/plain; charset=UTF-8");
  void SendBodyTooLarge();
  void DoWrite(bool close_after, bool linger);
  bool WriteHeadDirectly(HttpResponse& response, bool close_after, bool is_head);
  // Writes wire_ (the head) and response_'s body.
  void WriteWire(bool close_after, bool linger);
  void OnWrite(bool close_after, bool linger, beast::error_code ec);
  // A streamed answer (HttpResponse::stream): its head and first piece went
  // out through DoWrite; each further piece is asked for once the one before
  // is written.
  void WriteNextPiece(bool close_after);
  void OnPieceWritten(bool close_after, beast::error_code ec);
  std::chrono::steady_clock::duration StreamTimeout() const;
  void StartLinger();
  void DoLingerRead();
  void Close();
  void Shutdown();
  // One timer per connection covers every read and write (Beast's
  // tcp_stream arms and cancels a timer around each operation, a handler
  // run of its own per request): an operation still pending at the
  // deadline is cancelled, which closes the connection.
  void SetDeadline(std::chrono::steady_clock::duration timeout);
  void WaitForDeadline();
  void OnDeadline(beast::error_code ec);

  ServerImpl* const server_;
  const uint64_t id_;
  tcp::socket socket_;
  // Over socket_ when the server speaks HTTPS; null for plain HTTP.
  std::unique_ptr<net::ssl::stream<tcp::socket&>> tls_;
  net::steady_timer deadline_timer_;
  std::chrono::steady_clock::time_point deadline_;
  bool deadline_armed_ = false;
  beast::flat_buffer buffer_;
  std::string remote_address_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> continue_response_;
  BeastResponse response_;
  std::string wire_;  // response_'s start line and fields, while it is being written
  std::shared_ptr<BodySource> stream_;  // the streamed answer being written, if any
  bool chunked_ = false;                // stream_'s pieces go out as HTTP/1.1 chunks
  std::string piece_;                   // stream_'s piece being written
  std::string chunk_size_;              // its chunk-size line
  std::string chunk_end_;               // its CRLF (and the last chunk)
  unsigned request_version_ = 11;
  State state_ = State::kIdle;
  size_t lingered_bytes_ = 0;
  char drain_[4096];
  std::atomic<int64_t> waiting_since_{0};
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, HttpHandler handler)
      : options_(options),
        handler_(std::move(handler)),
        ioc_(options.threads),
        accept_strand_(net::make_strand(ioc_)),
        acceptor_(accept_strand_),
        accept_retry_timer_(accept_strand_) {}

  ~ServerImpl() override { Stop(); }

  Status SetUpTls() {
    if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) return Status();
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return MakeStatus(absl::StatusCode::kInvalidArgument,
                        "TLS needs both a certificate and a private key file");
    }
    KITH_ASSIGN_OR_RETURN(tls_context_,
                          MakeServerTlsContext(options_.tls_cert_file, options_.tls_key_file));
    return Status();
  }

  Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    tcp::endpoint local;
    if (!ec) local = acceptor_.local_endpoint(ec);
    if (ec) {
      return MakeStatus(absl::StatusCode::kUnavailable,
                        "cannot listen on " + endpoint.address().to_string() + ":" +
                            std::to_string(endpoint.port()) + ": " + ec.message());
    }
    port_ = local.port();
    return Status();
  }

  Status Run() {
    DoAccept();
    try {
      threads_.reserve(static_cast<size_t>(options_.threads));
      for (int i = 0; i < options_.threads; ++i) {
        threads_.emplace_back([this] { RunLoop(); });
      }
    } catch (const std::exception& e) {
      Stop();
      return MakeStatus(absl::StatusCode::kInternal,
                        std::string("cannot start HTTP threads: ") + e.what());
    }
    return Status();
  }

  uint16_t port() const override { return port_; }

  size_t open_connections() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_.size();
  }

  void Stop() override {
    std::vector<std::shared_ptr<Connection>> live;
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stop_requested_) {
        stop_requested_ = true;
        stopping_.store(true, std::memory_order_release);
        first = true;
        for (auto& [id, weak] : connections_) {
          if (auto c = weak.lock()) live.push_back(std::move(c));
        }
      }
      stop_cv_.notify_all();
    }
    if (first) {
      net::post(accept_strand_, [this] {
        beast::error_code ignored;
        acceptor_.close(ignored);
        accept_retry_timer_.cancel();
      });
      for (auto& c : live) c->RequestShutdown();
      live.clear();
    }
    // From a handler (an I/O thread) the threads cannot be joined here;
    // Wait() or the destructor, called from outside, does that.
    if (tls_current_server == this) return;
    JoinThreads();
  }

  void Wait() override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      stop_cv_.wait(lock, [this] { return stop_requested_; });
    }
    if (tls_current_server == this) return;
    JoinThreads();
  }

  // For connections.
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  net::ssl::context* tls_context() const { return tls_context_.get(); }

  void Unregister(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.erase(id);
  }

 private:
  void RunLoop() {
    tls_current_server = this;
    for (;;) {
      try {
        ioc_.run();
        break;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "kith http: I/O thread caught: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "kith http: I/O thread caught an unknown exception\n");
      }
    }
    tls_current_server = nullptr;
  }

  void JoinThreads() {
    std::lock_guard<std::mutex> lock(join_mu_);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // Runs on accept_strand_.
  void DoAccept() {
    acceptor_.async_accept(
        net::make_strand(ioc_),
        [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // E.g. out of file descriptors: back off briefly instead of spinning.
      if (stopping()) return;
      accept_retry_timer_.expires_after(std::chrono::milliseconds(50));
      accept_retry_timer_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && !stopping() && acceptor_.is_open()) DoAccept();
      });
      return;
    }
    std::shared_ptr<Connection> connection;
    if (!MakeRoom()) {
      RefuseBusy(socket, tls_context_ != nullptr);
      if (!stopping()) DoAccept();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stop_requested_) {
        uint64_t id = next_connection_id_++;
        connection = std::make_shared<Connection>(this, id, std::move(socket));
        connections_.emplace(id, connection);
      }
    }
    if (!connection) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    connection->Start();
    if (!stopping()) DoAccept();
  }

  // At max_connections: evicts the connections that have waited longest for
  // a request, a sixteenth of those waiting at once, so that a flood of new
  // connections costs one scan per batch rather than one per connection
  // (5,000 idle ones past a limit of 1,000 held a new client in the listen
  // queue for 25 s). False when every connection is busy answering one.
  bool MakeRoom() {
    if (options_.max_connections == 0) return true;
    std::vector<std::pair<int64_t, std::shared_ptr<Connection>>> waiting;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (connections_.size() - evicting_.load() < options_.max_connections) return true;
      for (auto& [id, weak] : connections_) {
        auto c = weak.lock();
        int64_t since = c ? c->waiting_since() : 0;
        if (since > 0) waiting.emplace_back(since, std::move(c));
      }
    }
    size_t batch = std::max<size_t>(1, waiting.size() / 16);
    auto by_age = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::partial_sort(waiting.begin(), waiting.begin() + static_cast<ptrdiff_t>(std::min(batch, waiting.size())),
                      waiting.end(), by_age);
    size_t taken = 0;
    for (size_t i = 0; i < waiting.size() && taken < batch; ++i) {
      // Beyond the sorted batch (some were taken meanwhile), any will do.
      if (waiting[i].second->TakeForEviction()) ++taken;
    }
    return taken > 0;
  }

  // A short 503 on a fresh socket (its send buffer is empty, so the write
  // does not block), then the close. Over TLS only the close: no handshake
  // has been made to answer in.
  static void RefuseBusy(tcp::socket& socket, bool tls) {
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nServer: kith\r\nConnection: close\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Length: 13\r\n\r\nserver busy\r\n";
    if (!tls) ::send(socket.native_handle(), kBusy, sizeof(kBusy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

 public:
  // Connections taken for eviction and not yet gone (they still count in
  // connections_ until their strand closes them).
  std::atomic<size_t> evicting_{0};

 private:
  const HttpServerOptions options_;
  const HttpHandler handler_;
  std::unique_ptr<net::ssl::context> tls_context_;  // null: plain HTTP

  // Declared before ioc_: connections destroyed while the io_context is torn
  // down still unregister themselves.
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
  std::atomic<bool> stopping_{false};
  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections_;

  std::mutex join_mu_;
  std::vector<std::thread> threads_;

  net::io_context ioc_;
  net::strand<net::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_timer_;
  uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------
// Connection

Connection::Connection(ServerImpl* server, uint64_t id, tcp::socket socket)
    : server_(server),
      id_(id),
      socket_(std::move(socket)),
      deadline_timer_(socket_.get_executor()) {
  beast::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = endpoint.address().to_string();
  if (server_->tls_context() != nullptr) {
    tls_ = std::make_unique<net::ssl::stream<tcp::socket&>>(socket_, *server_->tls_context());
  }
}

Connection::~Connection() {
  if (waiting_since_.load() == -1) server_->evicting_.fetch_sub(1);
  server_->Unregister(id_);
}

bool Connection::TakeForEviction() {
  int64_t since = waiting_since_.load(std::memory_order_acquire);
  if (since <= 0 || !waiting_since_.compare_exchange_strong(since, -1)) return false;
  server_->evicting_.fetch_add(1);
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    // Still waiting for a request (OnReadHeader has not started one) or
    // still shaking hands: close.
    if (self->state_ == State::kReading || self->state_ == State::kHandshake) self->Close();
  });
  return true;
}

void Connection::Start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    if (self->tls_) {
      self->DoHandshake();
    } else {
      self->DoReadHeader();
    }
  });
}

void Connection::RequestShutdown() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->Shutdown(); });
}

// On the strand.
void Connection::Shutdown() {
  switch (state_) {
    case State::kReading:
      // Waiting for a request that has not started: nothing is in flight.
      // A request already arriving is read and answered ("Connection: close").
      if (buffer_.size() == 0 && parser_ && !parser_->got_some()) socket_.cancel();
      break;
    case State::kHandshake:
    case State::kLingering:
      socket_.cancel();
      break;
    case State::kIdle:
    case State::kWriting:
    case State::kClosed:
      // Writing: OnWrite sees stopping() and closes.
      break;
  }
}

std::chrono::seconds IdleTimeout(const HttpServerOptions& options) {
  return std::chrono::seconds(options.idle_timeout_seconds > 0 ? options.idle_timeout_seconds
                                                               : 1);
}

void Connection::SetDeadline(std::chrono::steady_clock::duration timeout) {
  deadline_ = std::chrono::steady_clock::now() + timeout;
  // A wait that ends before the new deadline looks again when it ends; only
  // an earlier deadline (lingering) needs the timer moved.
  if (deadline_armed_ && deadline_timer_.expiry() <= deadline_) return;
  WaitForDeadline();
}

void Connection::WaitForDeadline() {
  deadline_armed_ = true;
  deadline_timer_.expires_at(deadline_);  // cancels a later wait: it sees operation_aborted
  deadline_timer_.async_wait(
      [self = shared_from_this()](beast::error_code ec) { self->OnDeadline(ec); });
}

void Connection::OnDeadline(beast::error_code ec) {
  if (ec == net::error::operation_aborted) return;  // moved (a newer wait runs) or closed
  deadline_armed_ = false;
  if (state_ == State::kClosed) return;
  if (std::chrono::steady_clock::now() < deadline_) {
    WaitForDeadline();
    return;
  }
  // The pending read or write ends with operation_aborted and closes.
  socket_.cancel();
}

// Evictable from now on (see TakeForEviction), unless already taken.
void Connection::MarkWaiting() {
  int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  int64_t expected = waiting_since_.load();
  if (expected != -1) waiting_since_.compare_exchange_strong(expected, now > 0 ? now : 1);
}

// The TLS handshake, within its own deadline: a client that is slow to
// shake hands holds its connection no longer than that, and is evicted
// first like an idle one.
void Connection::DoHandshake() {
  state_ = State::kHandshake;
  MarkWaiting();
  SetDeadline(std::chrono::seconds(std::max(1, server_->options().handshake_timeout_seconds)));
  tls_->async_handshake(net::ssl::stream_base::server,
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec || self->state_ != State::kHandshake) {
                            self->Close();
                            return;
                          }
                          self->DoReadHeader();
                        });
}

void Connection::DoReadHeader() {
  if (server_->stopping()) {
    Close();
    return;
  }
  const HttpServerOptions& options = server_->options();
  parser_.emplace();
  parser_->body_limit(static_cast<std::uint64_t>(options.body_limit));
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
  state_ = State::kReading;
  MarkWaiting();
  SetDeadline(IdleTimeout(options));
  WithStream([&](auto& stream) {
    bhttp::async_read_header(stream, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->OnReadHeader(ec);
                             });
  });
}

void Connection::OnReadHeader(beast::error_code ec) {
  if (ec) {
    HandleReadError(ec);
    return;
  }
  const auto& header = parser_->get();
  request_version_ = header.version();
  if (parser_->is_done()) {
    HandleRequest();
    return;
  }
  auto expect = header[bhttp::field::expect];
  if (header.version() >= 11 && EqualsIgnoreCase(std::string_view(expect.data(), expect.size()),
                                                 "100-continue")) {
    continue_response_ = {};
    continue_response_.version(11);
    continue_response_.result(bhttp::status::continue_);
    SetDeadline(IdleTimeout(server_->options()));
    WithStream([&](auto& stream) {
      bhttp::async_write(stream, continue_response_,
                         [self = shared_from_this()](beast::error_code write_ec, size_t) {
                           self->OnContinueWritten(write_ec);
                         });
    });
    return;
  }
  DoReadBody();
}

void Connection::OnContinueWritten(beast::error_code ec) {
  if (ec) {
    Close();
    return;
  }
  DoReadBody();
}

void Connection::DoReadBody() {
  SetDeadline(IdleTimeout(server_->options()));
  WithStream([&](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->OnReadBody(ec);
                      });
  });
}

void Connection::OnReadBody(beast::error_code ec) {
  if (ec) {
    HandleReadError(ec);
    return;
  }
  HandleRequest();
}

void Connection::HandleReadError(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    SendBodyTooLarge();
  } else if (ec == bhttp::error::header_limit) {
    SendError(431, "request header fields too large\n", /*linger=*/true);
  } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    // The client closed (between requests, or mid-request): nobody to answer.
    Close();
  } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    // Any other parse error: malformed request line, header or framing.
    SendError(400, "bad request\n", /*linger=*/true);
  } else {
    // Timeout, cancellation, reset, ...
    Close();
  }
}

void Connection::HandleRequest() {
  // Answering: not evictable. A connection taken for eviction as its
  // request arrived answers it, then closes.
  int64_t since = waiting_since_.load();
  while (since != -1 && !waiting_since_.compare_exchange_weak(since, 0)) {
  }
  BeastRequest beast_request = parser_->release();
  parser_.reset();

  HttpRequest request;
  auto method = beast_request.method_string();
  request.method.assign(method.data(), method.size());
  auto target_sv = beast_request.target();
  std::string_view target(target_sv.data(), target_sv.size());
  size_t question = target.find('?');
  if (question == std::string_view::npos) {
    request.path = std::string(target);
  } else {
    request.path = std::string(target.substr(0, question));
    request.query = std::string(target.substr(question + 1));
  }
  request.headers.reserve(static_cast<size_t>(
      std::distance(beast_request.begin(), beast_request.end())));
  for (const auto& field : beast_request) {
    auto name = field.name_string();
    auto value = field.value();
    request.headers.emplace_back(AsciiLower(std::string_view(name.data(), name.size())),
                                 std::string(value.data(), value.size()));
  }
  request.body = std::move(beast_request.body());
  request.remote_address = remote_address_;
  request.secure = tls_ != nullptr;
  // The socket is not read while the handler runs: a peek sees whether the
  // client has closed (0 bytes) or reset it.
  request.client_gone = [fd = socket_.native_handle()] {
    char c;
    ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  };
  const bool client_keep_alive = beast_request.keep_alive();
  const bool is_head = beast_request.method() == bhttp::verb::head;

  HttpResponse response;
  try {
    response = server_->handler()(request);
    if (response.deferred) {
      // Answered later from another thread, on this strand; the work guard
      // keeps the I/O threads running (through Stop()) until then.
      state_ = State::kIdle;
      auto later = std::move(response.deferred);
      later([self = shared_from_this(), work = net::make_work_guard(socket_.get_executor()),
             client_keep_alive, is_head](HttpResponse answer) {
        net::post(self->socket_.get_executor(),
                  [self, answer = std::move(answer), client_keep_alive, is_head]() mutable {
                    self->Respond(std::move(answer), client_keep_alive, is_head);
                  });
      });
      return;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kith http: handler threw for %s %s: %s\n", request.method.c_str(),
                 request.path.c_str(), e.what());
    response = HttpResponse{500, "text/plain; charset=UTF-8", {}, "internal error\n"};
  } catch (...) {
    std::fprintf(stderr, "kith http: handler threw a non-standard exception for %s %s\n",
                 request.method.c_str(), request.path.c_str());
    response = HttpResponse{500, "text/plain; charset=UTF-8", {}, "internal error\n"};
  }
  Respond(std::move(response), client_keep_alive, is_head);
}

// On the strand: writes the handler's answer to the request just read.
void Connection::Respond(HttpResponse response, bool client_keep_alive, bool is_head) {
  if (response.status < 200 || response.status > 999) {
    std::fprintf(stderr, "kith http: handler returned invalid status %d\n", response.status);
    response = HttpResponse{500, "text/plain; charset=UTF-8", {}, "internal error\n"};
  }

  // Taken for eviction as its request arrived (HandleRequest left the mark):
  // this answer is its last.
  const bool evicted = waiting_since_.load() == -1;
  bool close_after = !client_keep_alive || server_->stopping() || evicted;
  if (WriteHeadDirectly(response, close_after, is_head)) return;
  response_ = {};
  response_.version(request_version_);
  response_.result(static_cast<unsigned>(response.status));
  response_.set(bhttp::field::server, "kith");
  if (!HasControlChars(response.content_type)) {
    response_.set(bhttp::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || HasControlChars(name) || HasControlChars(value)) continue;
    if (EqualsIgnoreCase(name, "content-type") || EqualsIgnoreCase(name, "content-length") ||
        EqualsIgnoreCase(name, "transfer-encoding") || EqualsIgnoreCase(name, "server")) {
      continue;
    }
    if (EqualsIgnoreCase(name, "connection")) {
      if (EqualsIgnoreCase(TrimAscii(value), "close")) close_after = true;
      continue;
    }
    response_.insert(name, value);
  }
  const bool bodiless = response.status == 204 || response.status == 304;
  if (bodiless) {
    response.body.clear();
  } else if (response.stream) {
    // Chunked for HTTP/1.1; an HTTP/1.0 client learns the end from the close.
    chunked_ = request_version_ >= 11;
    if (chunked_) response_.chunked(true);
    if (!chunked_) close_after = true;
    if (is_head) {
      response.body.clear();  // the producer is dropped unasked
    } else {
      stream_ = std::move(response.stream);
      if (chunked_ && !response.body.empty()) {
        char size[20];
        int n = std::snprintf(size, sizeof size, "%zx\r\n", response.body.size());
        response.body.insert(0, size, static_cast<size_t>(n));
        response.body += "\r\n";
      }
    }
  } else {
    response_.content_length(response.body.size());
    if (is_head) response.body.clear();
  }
  response_.body() = std::move(response.body);
  DoWrite(close_after, /*linger=*/false);
}

// The usual answer (a body of known length, no extra headers, a content type
// Beast would store as it is) has its head written here, the bytes DoWrite
// writes from Beast's fields: Server, Content-Type, Content-Length, and the
// Connection field Beast's keep_alive() adds (close for HTTP/1.1, keep-alive
// for HTTP/1.0). Beast allocated each field apart and looked the Connection
// field up; most of Respond's cost. False, with nothing done, for any other
// answer.
bool Connection::WriteHeadDirectly(HttpResponse& response, bool close_after, bool is_head) {
  const std::string& type = response.content_type;
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (!response.headers.empty() || response.stream || response.status == 204 ||
      response.status == 304 || type.empty() || blank(type.front()) || blank(type.back()) ||
      HasControlChars(type) || response_.begin() != response_.end()) {
    return false;
  }
  const bool http10 = request_version_ == 10;
  const auto beast_reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  const std::string_view reason(beast_reason.data(), beast_reason.size());
  char numbers[48];
  char* status_end = std::to_chars(numbers, numbers + 16, response.status).ptr;
  char* length_end = std::to_chars(status_end, numbers + sizeof numbers, response.body.size()).ptr;
  const std::string_view status(numbers, static_cast<size_t>(status_end - numbers));
  const std::string_view length(status_end, static_cast<size_t>(length_end - status_end));
  const std::string_view connection =
      request_version_ < 11 ? (close_after ? "" : "keep-alive") : (close_after ? "close" : "");
  state_ = State::kWriting;
  wire_.clear();
  wire_.reserve(96 + reason.size() + type.size() + connection.size());
  wire_ += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  wire_ += status;
  wire_ += ' ';
  wire_ += reason;
  wire_ += "\r\nServer: kith\r\nContent-Type: ";
  wire_ += type;
  wire_ += "\r\nContent-Length: ";
  wire_ += length;
  wire_ += "\r\n";
  if (!connection.empty()) {
    wire_ += "Connection: ";
    wire_ += connection;
    wire_ += "\r\n";
  }
  wire_ += "\r\n";
  if (is_head) response.body.clear();
  response_.body() = std::move(response.body);
  WriteWire(close_after, /*linger=*/false);
  return true;
}

void Connection::SendError(unsigned status, std::string_view text, bool linger,
                           std::string_view content_type) {
  parser_.reset();
  response_ = {};
  response_.version(request_version_ == 10 ? 10 : 11);
  response_.result(status);
  response_.set(bhttp::field::server, "kith");
  response_.set(bhttp::field::content_type,
                std::string(HasControlChars(content_type) ? "text/plain; charset=UTF-8"
                                                          : content_type));
  response_.body() = std::string(text);
  response_.content_length(text.size());
  DoWrite(/*close_after=*/true, linger);
}

// The head of the refused request goes to options().body_limit_response.
void Connection::SendBodyTooLarge() {
  const auto& responder = server_->options().body_limit_response;
  if (!responder || !parser_) {
    SendError(413, "request body too large\n", /*linger=*/true);
    return;
  }
  const auto& header = parser_->get();
  HttpRequest head;
  auto method = header.method_string();
  head.method.assign(method.data(), method.size());
  std::string_view target(header.target().data(), header.target().size());
  size_t question = target.find('?');
  head.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) head.query = std::string(target.substr(question + 1));
  for (const auto& field : header) {
    auto name = field.name_string();
    auto value = field.value();
    head.headers.emplace_back(AsciiLower(std::string_view(name.data(), name.size())),
                              std::string(value.data(), value.size()));
  }
  head.remote_address = remote_address_;
  head.secure = tls_ != nullptr;
  HttpResponse response;
  try {
    response = responder(head);
  } catch (...) {
    SendError(413, "request body too large\n", /*linger=*/true);
    return;
  }
  SendError(413, response.body, /*linger=*/true, response.content_type);
}

// The response's start line and fields are serialised here, and go out with
// its body as two plain buffers: the same bytes Beast's serializer writes, at
// a fraction of its cost per request (its buffer sequence views showed as a
// fifth of the server's time answering /healthz).
void Connection::DoWrite(bool close_after, bool linger) {
  response_.keep_alive(!close_after);
  state_ = State::kWriting;
  wire_.clear();
  wire_ += response_.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  wire_ += std::to_string(response_.result_int());
  wire_ += ' ';
  auto reason = response_.reason();
  wire_.append(reason.data(), reason.size());
  wire_ += "\r\n";
  for (const auto& field : response_) {
    auto name = field.name_string();
    auto value = field.value();
    wire_.append(name.data(), name.size());
    wire_ += ": ";
    wire_.append(value.data(), value.size());
    wire_ += "\r\n";
  }
  wire_ += "\r\n";
  WriteWire(close_after, linger);
}

void Connection::WriteWire(bool close_after, bool linger) {
  // The head and the body go out as two buffers: the body is not copied.
  std::array<net::const_buffer, 2> buffers{net::buffer(wire_), net::buffer(response_.body())};
  SetDeadline(StreamTimeout());
  // The write is queued behind the requests this turn of the event loop has
  // already read, so their answers leave together. On loopback the sender
  // pays for waking a client that sleeps between answers; answering a batch
  // wakes it once instead of once per answer (an APIv4 get under 16
  // connections went from 55-75 to ~45 us of kith's CPU). A lone request's
  // answer goes out at once.
  net::post(socket_.get_executor(), [self = shared_from_this(), buffers, close_after, linger] {
    self->WithStream([&](auto& stream) {
      net::async_write(stream, buffers, [self, close_after, linger](beast::error_code ec, size_t) {
        self->OnWrite(close_after, linger, ec);
      });
    });
  });
}

void Connection::OnWrite(bool close_after, bool linger, beast::error_code ec) {
  response_ = {};
  wire_.clear();
  if (ec) {
    Close();
    return;
  }
  if (stream_) {
    WriteNextPiece(close_after);
    return;
  }
  if (linger && !server_->stopping()) {
    StartLinger();
    return;
  }
  if (close_after || server_->stopping()) {
    Close();
    return;
  }
  DoReadHeader();
}

std::chrono::steady_clock::duration Connection::StreamTimeout() const {
  auto now = std::chrono::steady_clock::now();
  auto left = stream_ ? stream_->deadline() - now : std::chrono::steady_clock::duration::max();
  return std::min<std::chrono::steady_clock::duration>(IdleTimeout(server_->options()), left);
}

void Connection::WriteNextPiece(bool close_after) {
  piece_.clear();
  BodySource::Piece kind = BodySource::Piece::kFailed;
  try {
    kind = stream_->Next(piece_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kith http: a streamed body threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "kith http: a streamed body threw a non-standard exception\n");
  }
  if (kind == BodySource::Piece::kFailed) {
    // Cut off: no last chunk, so the client cannot take it for complete.
    Close();
    return;
  }
  const auto timeout = StreamTimeout();
  if (kind == BodySource::Piece::kLast) stream_.reset();  // its transaction ends now
  chunk_size_.clear();
  chunk_end_.clear();
  if (chunked_) {
    if (!piece_.empty()) {
      char size[20];
      int n = std::snprintf(size, sizeof size, "%zx\r\n", piece_.size());
      chunk_size_.assign(size, static_cast<size_t>(n));
      chunk_end_ = "\r\n";
    }
    if (!stream_) chunk_end_ += "0\r\n\r\n";
  }
  std::array<net::const_buffer, 3> buffers{net::buffer(chunk_size_), net::buffer(piece_),
                                           net::buffer(chunk_end_)};
  SetDeadline(timeout);
  net::async_write(socket_, buffers,
                   [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
                     self->OnPieceWritten(close_after, ec);
                   });
}

void Connection::OnPieceWritten(bool close_after, beast::error_code ec) {
  if (ec) {
    Close();  // a client gone, or one that read nothing until the deadline
    return;
  }
  if (stream_) {
    WriteNextPiece(close_after);
    return;
  }
  piece_.clear();
  piece_.shrink_to_fit();
  if (close_after || server_->stopping()) {
    Close();
    return;
  }
  DoReadHeader();
}

void Connection::StartLinger() {
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  state_ = State::kLingering;
  lingered_bytes_ = 0;
  SetDeadline(kLingerTimeout);
  DoLingerRead();
}

void Connection::DoLingerRead() {
  socket_.async_read_some(net::buffer(drain_), [self = shared_from_this()](
                                                   beast::error_code ec, size_t n) {
    self->lingered_bytes_ += n;
    if (ec || self->lingered_bytes_ > kLingerMaxBytes) {
      self->Close();
      return;
    }
    self->DoLingerRead();
  });
}

void Connection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  stream_.reset();  // a producer cut off ends (and its transaction with it)
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
  deadline_timer_.cancel();
}

}  // namespace

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<uint64_t>::max() : limit.rlim_cur;
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                         HttpHandler handler) {
  if (!handler) return MakeStatus(absl::StatusCode::kInvalidArgument, "no HTTP handler");
  if (options.threads < 1) {
    return MakeStatus(absl::StatusCode::kInvalidArgument,
                      "HTTP threads must be >= 1, got " + std::to_string(options.threads));
  }
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return MakeStatus(absl::StatusCode::kInvalidArgument,
                      "bad listen address '" + options.host + "': " + ec.message());
  }
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  KITH_RETURN_IF_ERROR(server->SetUpTls());
  KITH_RETURN_IF_ERROR(server->Listen(tcp::endpoint(address, options.port)));
  KITH_RETURN_IF_ERROR(server->Run());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace kith::http
