// HttpServer over real sockets on 127.0.0.1 (port 0), with a tiny blocking
// POSIX client so that malformed and oversized requests can be sent verbatim.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/strings.h"

namespace kith::http {
namespace {

struct RawResponse {
  bool ok = false;  // a complete response was parsed
  std::string status_line;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;

  std::string Get(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking client connection with a receive timeout, so a broken server
// makes a test fail instead of hang.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = 10;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Sends one request and reads its response (not ok when either fails).
  RawResponse Exchange(const std::string& request, bool head_only = false) {
    if (!Send(request)) return RawResponse();
    return Read(head_only);
  }

  // Reads one response (Content-Length framed, or up to EOF without one).
  // `head_only`: the response to a HEAD request, which has no body.
  RawResponse Read(bool head_only = false) {
    RawResponse r;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    std::string head = buf_.substr(0, header_end);
    buf_.erase(0, header_end + 4);
    size_t line_end = head.find("\r\n");
    r.status_line = head.substr(0, line_end);
    if (r.status_line.size() < 12) return r;
    r.status = std::stoi(r.status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        r.headers[AsciiLower(line.substr(0, colon))] =
            std::string(TrimAscii(std::string_view(line).substr(colon + 1)));
      }
      pos = end + 2;
    }
    if (head_only || r.status == 100 || r.status == 204 || r.status == 304) {
      r.ok = true;
      return r;
    }
    auto cl = r.headers.find("content-length");
    if (cl != r.headers.end()) {
      size_t length = std::stoul(cl->second);
      while (buf_.size() < length) {
        if (!Fill()) return r;
      }
      r.body = buf_.substr(0, length);
      buf_.erase(0, length);
    } else {
      while (Fill()) {
      }
      r.body = std::move(buf_);
      buf_.clear();
    }
    r.ok = true;
    return r;
  }

  // Everything the server sends until it closes the connection.
  std::string ReadToEof() {
    while (Fill()) {
    }
    return std::exchange(buf_, std::string());
  }

  // True when the server has closed the connection (EOF or reset) with no
  // further bytes pending.
  bool AtEof() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    buf_.push_back(c);
    return false;
  }

 private:
  bool Fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Echoes the request as "method|path|query|x-test header|remote|body".
HttpResponse Echo(const HttpRequest& req) {
  HttpResponse res;
  if (req.path == "/throw") throw std::runtime_error("boom");
  if (req.path == "/throw-int") throw 42;
  if (req.path.starts_with("/created")) res.status = 201;
  res.content_type = "application/x-echo";
  res.headers.emplace_back("X-Reply", "yes");
  res.body = req.method + "|" + req.path + "|" + req.query + "|" +
             std::string(req.Header("x-test")) + "|" + req.remote_address + "|" + req.body;
  return res;
}

std::unique_ptr<HttpServer> StartServer(HttpServerOptions options = {},
                                        HttpHandler handler = Echo) {
  options.host = "127.0.0.1";
  options.port = 0;
  auto server = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

TEST(HttpServerTest, PortIsRealForEphemeralPort) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  Client c(server->port());
  EXPECT_TRUE(c.connected());
}

// open_connections() (the /metrics gauge) counts accepted connections until
// they close.
TEST(HttpServerTest, CountsOpenConnections) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->open_connections(), 0u);
  {
    Client a(server->port());
    Client b(server->port());
    ASSERT_TRUE(a.Exchange("GET /x HTTP/1.1\r\nHost: h\r\n\r\n").ok);
    ASSERT_TRUE(b.Exchange("GET /x HTTP/1.1\r\nHost: h\r\n\r\n").ok);
    EXPECT_EQ(server->open_connections(), 2u);
  }
  // The server sees the clients close on its own time.
  for (int i = 0; i < 200 && server->open_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server->open_connections(), 0u);
}

TEST(HttpServerTest, EchoesMethodPathQueryHeaderAndRemote) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r =
      c.Exchange("GET /created/a%20b?x=1&y=2?z HTTP/1.1\r\nHost: h\r\nX-Test: hello\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status_line, "HTTP/1.1 201 Created");
  EXPECT_EQ(r.body, "GET|/created/a%20b|x=1&y=2?z|hello|127.0.0.1|");
  EXPECT_EQ(r.Get("server"), "kith");
  EXPECT_EQ(r.Get("content-type"), "application/x-echo");
  EXPECT_EQ(r.Get("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.Get("x-reply"), "yes");
}

TEST(HttpServerTest, HeaderNamesAreLowerCasedAndRepeatsKept) {
  std::promise<HttpRequest> seen;
  auto server = StartServer({}, [&](const HttpRequest& req) {
    seen.set_value(req);
    return HttpResponse();
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /p HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nX-DUP: 2\r\n\r\n"));
  ASSERT_EQ(c.Read().status, 200);
  HttpRequest req = seen.get_future().get();
  ASSERT_EQ(req.headers.size(), 3u);
  EXPECT_EQ(req.headers[0], (std::pair<std::string, std::string>("host", "h")));
  EXPECT_EQ(req.headers[1], (std::pair<std::string, std::string>("x-dup", "1")));
  EXPECT_EQ(req.headers[2], (std::pair<std::string, std::string>("x-dup", "2")));
  EXPECT_EQ(req.Header("x-dup"), "1");
  EXPECT_EQ(req.Header("absent"), "");
  EXPECT_EQ(req.query, "");
}

TEST(HttpServerTest, PostBodyIsDelivered) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r = c.Exchange(
      "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
      "hello world");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST|/submit|||127.0.0.1|hello world");
}

TEST(HttpServerTest, ChunkedBodyIsDelivered) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r = c.Exchange(
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "POST|/c|||127.0.0.1|hello world");
}

TEST(HttpServerTest, ExpectContinueGetsInterimResponse) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"));
  RawResponse interim = c.Read();
  ASSERT_TRUE(interim.ok);
  EXPECT_EQ(interim.status, 100);
  RawResponse r = c.Exchange("abc");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "PUT|/x|||127.0.0.1|abc");
}

TEST(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse first = c.Exchange("GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.body, "GET|/one|||127.0.0.1|");
  EXPECT_NE(AsciiLower(first.Get("connection")), "close");
  RawResponse second = c.Exchange("GET /two?q HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.body, "GET|/two|q||127.0.0.1|");
}

TEST(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
             "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
             "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "GET|/a|||127.0.0.1|");
  EXPECT_EQ(c.Read().body, "POST|/b|||127.0.0.1|hi");
  RawResponse last = c.Read();
  EXPECT_EQ(last.body, "GET|/c|||127.0.0.1|");
  EXPECT_EQ(AsciiLower(last.Get("connection")), "close");
  EXPECT_TRUE(c.AtEof());
}

TEST(HttpServerTest, ConcurrentClientsAllServed) {
  HttpServerOptions options;
  options.threads = 4;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  constexpr int kRequests = 50;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Client c(server->port());
      for (int j = 0; j < kRequests; ++j) {
        std::string body = std::to_string(i) + "-" + std::to_string(j);
        if (!c.Send("POST /n HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body)) {
          return;
        }
        if (c.Read().body == "POST|/n|||127.0.0.1|" + body) ++good;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r = c.Exchange("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(AsciiLower(r.Get("connection")), "close");
  EXPECT_TRUE(c.AtEof());
}

TEST(HttpServerTest, Http10ClosesByDefaultAndKeepsAliveOnRequest) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    RawResponse r = c.Exchange("GET /old HTTP/1.0\r\n\r\n");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status_line, "HTTP/1.0 200 OK");
    EXPECT_EQ(r.body, "GET|/old|||127.0.0.1|");
    EXPECT_TRUE(c.AtEof());
  }
  Client c(server->port());
  RawResponse r = c.Exchange("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(AsciiLower(r.Get("connection")), "keep-alive");
  ASSERT_TRUE(c.Send("GET /b HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "GET|/b|||127.0.0.1|");
  EXPECT_TRUE(c.AtEof());
}

// The head of a usual answer, byte for byte as Beast's fields wrote it:
// Server, Content-Type (trimmed), Content-Length, then the Connection field
// keep-alive asks for (close on HTTP/1.1, keep-alive on HTTP/1.0).
TEST(HttpServerTest, HeadBytesOfUsualAnswers) {
  auto server = StartServer({}, [](const HttpRequest& req) {
    HttpResponse res;
    res.body = "hi";
    if (req.path == "/odd") res.status = 299;
    if (req.path == "/spaced") res.content_type = " text/x\t ";
    if (req.path == "/cookie") res.headers.emplace_back("Set-Cookie", "a=1");
    return res;
  });
  ASSERT_NE(server, nullptr);
  const std::string type = "Content-Type: text/plain; charset=UTF-8\r\n";
  {
    Client c(server->port());
    ASSERT_TRUE(c.Send("GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /h HTTP/1.1\r\nHost: h\r\n\r\n"
                       "GET /odd HTTP/1.1\r\nHost: h\r\n\r\nGET /spaced HTTP/1.1\r\nHost: h\r\n\r\n"
                       "GET /cookie HTTP/1.1\r\nHost: h\r\n\r\n"
                       "GET /z HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(c.ReadToEof(),
              "HTTP/1.1 200 OK\r\nServer: kith\r\n" + type + "Content-Length: 2\r\n\r\nhi"
              "HTTP/1.1 200 OK\r\nServer: kith\r\n" + type + "Content-Length: 2\r\n\r\n"
              "HTTP/1.1 299 <unknown-status>\r\nServer: kith\r\n" + type + "Content-Length: 2\r\n\r\nhi"
              "HTTP/1.1 200 OK\r\nServer: kith\r\nContent-Type: text/x\r\nContent-Length: 2\r\n\r\nhi"
              "HTTP/1.1 200 OK\r\nServer: kith\r\n" + type + "Set-Cookie: a=1\r\nContent-Length: 2\r\n\r\nhi"
              "HTTP/1.1 200 OK\r\nServer: kith\r\n" + type + "Content-Length: 2\r\nConnection: close\r\n\r\nhi");
  }
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(c.ReadToEof(),
            "HTTP/1.0 200 OK\r\nServer: kith\r\n" + type + "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nhi"
            "HTTP/1.0 200 OK\r\nServer: kith\r\n" + type + "Content-Length: 2\r\n\r\nhi");
}

TEST(HttpServerTest, HeadGetsLengthButNoBody) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse head = c.Exchange(
      "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n", /*head_only=*/true);
  ASSERT_TRUE(head.ok);
  EXPECT_EQ(head.Get("content-length"), std::to_string(std::string("HEAD|/h|||127.0.0.1|").size()));
  // No body bytes were sent: the next response follows immediately.
  RawResponse next = c.Read();
  ASSERT_TRUE(next.ok);
  EXPECT_EQ(next.status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(next.body, "GET|/g|||127.0.0.1|");
}

TEST(HttpServerTest, BodyOverLimitGets413AndServerKeepsServing) {
  HttpServerOptions options;
  options.body_limit = 16;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    std::string body(1000, 'x');
    RawResponse r =
        c.Exchange("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + body);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 413);
    EXPECT_FALSE(r.body.empty());
    EXPECT_EQ(AsciiLower(r.Get("connection")), "close");
    EXPECT_TRUE(c.AtEof());
  }
  {
    // A body bigger than the socket buffers: the server drains it while
    // closing, so the client still gets to read the 413.
    Client c(server->port());
    std::string body(256 * 1024, 'x');
    ASSERT_TRUE(c.Send("PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body));
    EXPECT_EQ(c.Read().status, 413);
  }
  {
    // Chunked bodies are limited too.
    Client c(server->port());
    ASSERT_TRUE(
        c.Send("POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               "20\r\n" +
               std::string(32, 'y') + "\r\n0\r\n\r\n"));
    EXPECT_EQ(c.Read().status, 413);
  }
  Client c(server->port());
  RawResponse r = c.Exchange("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n" +
                             std::string(16, 'z'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST|/small|||127.0.0.1|" + std::string(16, 'z'));
}

// Pending (issue 5): the responder is not reached yet; the server still answers plain text.
TEST(HttpServerTest, BodyOverLimitAnswerComesFromTheResponderWithTheHead) {
  HttpServerOptions options;
  options.body_limit = 16;
  options.body_limit_response = [](const HttpRequest& head) {
    HttpResponse r;
    r.status = 200;  // forced to 413
    r.content_type = "application/json";
    r.body = "{\"path\":\"" + head.path + "\",\"q\":\"" + head.query + "\",\"h\":\"" +
             std::string(head.Header("x-a")) + "\",\"body\":\"" + head.body + "\"}";
    return r;
  };
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r =
      c.Exchange("POST /api?x=1 HTTP/1.1\r\nHost: h\r\nX-A: b\r\nContent-Length: 1000\r\n\r\n" +
                 std::string(1000, 'x'));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Get("content-type"), "application/json");
  EXPECT_EQ(r.body, "{\"path\":\"/api\",\"q\":\"x=1\",\"h\":\"b\",\"body\":\"\"}");
}

TEST(HttpServerTest, HeadersOverLimitGet431) {
  HttpServerOptions options;
  options.header_limit = 1024;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    RawResponse r =
        c.Exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 431);
    EXPECT_TRUE(c.AtEof());
  }
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 200);
}

TEST(HttpServerTest, MalformedRequestGets400ThenClose) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  for (const char* bad : {"THIS IS NOT HTTP\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                          "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
    Client c(server->port());
    RawResponse r = c.Exchange(bad);
    ASSERT_TRUE(r.ok) << bad;
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(c.AtEof()) << bad;
  }
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /after HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "GET|/after|||127.0.0.1|");
}

TEST(HttpServerTest, ThrowingHandlerGets500AndServerKeepsServing) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r = c.Exchange("GET /throw HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("internal error"), std::string::npos);
  EXPECT_EQ(r.Get("x-reply"), "");  // nothing of the failed response leaks
  ASSERT_TRUE(c.Send("GET /throw-int HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 500);
  // Same connection still usable, and new ones too.
  ASSERT_TRUE(c.Send("GET /fine HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "GET|/fine|||127.0.0.1|");
  Client c2(server->port());
  ASSERT_TRUE(c2.Send("GET /fine2 HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c2.Read().status, 200);
}

TEST(HttpServerTest, InvalidStatusAndHeaderInjectionAreRefused) {
  auto server = StartServer({}, [](const HttpRequest& req) {
    HttpResponse res;
    if (req.path == "/bad-status") res.status = 42;
    res.headers.emplace_back("X-Evil", "a\r\nInjected: yes");
    res.headers.emplace_back("Content-Length", "999");
    res.body = "ok";
    return res;
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /bad-status HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 500);
  RawResponse r = c.Exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Get("injected"), "");
  EXPECT_EQ(r.Get("content-length"), "2");
  EXPECT_EQ(r.body, "ok");
}

TEST(HttpServerTest, NoContentHasNoBodyOrLength) {
  auto server = StartServer({}, [](const HttpRequest&) {
    HttpResponse res;
    res.status = 204;
    res.body = "ignored";
    return res;
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r =
      c.Exchange("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\nDELETE /y HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Get("content-length"), "");
  EXPECT_EQ(c.Read().status, 204);  // framing intact
}

TEST(HttpServerTest, IdleConnectionTimesOut) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_EQ(c.Read().status, 200);
  EXPECT_TRUE(c.AtEof());  // closed by the server, well before the client's 10 s timeout
}

TEST(HttpServerTest, StalledHeaderOrBodyIsClosedAtTheTimeout) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client header(server->port());
  ASSERT_TRUE(header.Send("GET / HTTP/1.1\r\nHost:"));
  Client body(server->port());
  ASSERT_TRUE(body.Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(header.AtEof());
  EXPECT_TRUE(body.AtEof());
  // A connection that keeps talking is not cut by the earlier deadlines.
  Client busy(server->port());
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    RawResponse r = busy.Exchange("GET /again HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(r.ok) << "request " << i;
    EXPECT_EQ(r.status, 200);
  }
}

TEST(HttpServerTest, HandlerLongerThanTheTimeoutStillAnswers) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  auto server = StartServer(options, [](const HttpRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return HttpResponse{200, "text/plain", {}, "slow\n"};
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  RawResponse r = c.Exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "slow\n");
  EXPECT_TRUE(c.AtEof());  // then idle: closed
}

TEST(HttpServerTest, StopDeliversInFlightResponse) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  auto server = StartServer({}, [&](const HttpRequest& req) {
    HttpResponse res;
    if (req.path == "/slow") {
      entered.set_value();
      release_future.wait();
      res.body = "slow done";
    }
    return res;
  });
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->port();

  Client idle(port);  // an idle keep-alive connection: closed by Stop()
  ASSERT_TRUE(idle.Send("GET /warm HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_EQ(idle.Read().status, 200);

  Client slow(port);
  ASSERT_TRUE(slow.Send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
  entered.get_future().wait();

  std::thread stopper([&] { server->Stop(); });
  // Stop() is under way once the listening socket refuses connections.
  for (;;) {
    Client probe(port);
    if (!probe.connected()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(idle.AtEof());
  release.set_value();

  RawResponse r = slow.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slow done");
  EXPECT_EQ(AsciiLower(r.Get("connection")), "close");
  EXPECT_TRUE(slow.AtEof());
  stopper.join();
  server->Stop();  // idempotent
  server->Wait();  // returns at once once stopped
}

// A body of the given pieces, then `end` (kLast or kFailed); or pieces of
// 64 KiB without end when `pieces` is empty. Counts its calls and says when
// it is destroyed.
class ScriptedSource : public BodySource {
 public:
  ScriptedSource(std::vector<std::string> pieces, Piece end,
                 std::chrono::steady_clock::duration time_limit = std::chrono::seconds(30))
      : pieces_(std::move(pieces)),
        end_(end),
        deadline_(std::chrono::steady_clock::now() + time_limit) {}
  ~ScriptedSource() override { destroyed->store(true); }

  Piece Next(std::string& out) override {
    ++*calls;
    if (pieces_.empty()) {
      out.assign(64 * 1024, 'x');
      return Piece::kMore;
    }
    out = pieces_[next_++];
    return next_ < pieces_.size() ? Piece::kMore : end_;
  }
  std::chrono::steady_clock::time_point deadline() const override { return deadline_; }

  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> destroyed = std::make_shared<std::atomic<bool>>(false);

 private:
  std::vector<std::string> pieces_;
  size_t next_ = 0;
  Piece end_;
  std::chrono::steady_clock::time_point deadline_;
};

HttpResponse Streamed(std::shared_ptr<BodySource> source) {
  HttpResponse res{200, "text/plain", {}, "head"};
  res.stream = std::move(source);
  return res;
}

bool EventuallyTrue(const std::atomic<bool>& flag) {
  for (int i = 0; i < 500 && !flag.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return flag.load();
}

TEST(HttpServerTest, StreamedBodyGoesOutChunkedAndTheConnectionLivesOn) {
  auto server = StartServer({}, [](const HttpRequest& req) {
    if (req.path == "/plain") return HttpResponse{200, "text/plain", {}, "plain"};
    return Streamed(std::make_shared<ScriptedSource>(
        std::vector<std::string>{"abc", "", std::string(300, 'z')}, BodySource::Piece::kLast));
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: h\r\n\r\nGET /plain HTTP/1.1\r\nHost: h\r\n"
                     "Connection: close\r\n\r\n"));
  std::string raw = c.ReadToEof();
  size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  std::string head = AsciiLower(raw.substr(0, head_end));
  EXPECT_NE(head.find("transfer-encoding: chunked"), std::string::npos) << head;
  EXPECT_EQ(head.find("content-length"), std::string::npos) << head;
  std::string rest = raw.substr(head_end + 4);
  std::string body = "4\r\nhead\r\n3\r\nabc\r\n12c\r\n" + std::string(300, 'z') + "\r\n0\r\n\r\n";
  ASSERT_EQ(rest.substr(0, body.size()), body);
  // The next answer on the same connection follows the last chunk.
  EXPECT_EQ(rest.substr(body.size(), 15), "HTTP/1.1 200 OK");
  EXPECT_NE(rest.find("\r\n\r\nplain"), std::string::npos);
}

TEST(HttpServerTest, FailedStreamIsCutOffWithoutItsLastChunk) {
  auto source = std::make_shared<ScriptedSource>(std::vector<std::string>{"abc", "def"},
                                                 BodySource::Piece::kFailed);
  auto destroyed = source->destroyed;
  auto server = StartServer({}, [&](const HttpRequest&) { return Streamed(source); });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::string raw = c.ReadToEof();  // closed by the server although kept alive
  source.reset();
  EXPECT_TRUE(raw.ends_with("4\r\nhead\r\n3\r\nabc\r\n")) << raw;
  EXPECT_TRUE(EventuallyTrue(*destroyed));
}

TEST(HttpServerTest, StreamToHttp10ClientEndsWithTheClose) {
  auto server = StartServer({}, [](const HttpRequest&) {
    return Streamed(std::make_shared<ScriptedSource>(std::vector<std::string>{"abc", "def"},
                                                     BodySource::Piece::kLast));
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string raw = c.ReadToEof();
  EXPECT_EQ(AsciiLower(raw).find("transfer-encoding"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\nheadabcdef")) << raw;
}

TEST(HttpServerTest, StreamWaitsForAClientThatStopsReadingAndEndsWhenItGoes) {
  auto source = std::make_shared<ScriptedSource>(std::vector<std::string>{},
                                                 BodySource::Piece::kLast);
  auto calls = source->calls;
  auto destroyed = source->destroyed;
  auto server = StartServer({}, [&](const HttpRequest&) { return Streamed(source); });
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: h\r\n\r\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // The socket buffers hold a few MiB at most: the producer was held back
    // (unbounded, 500 ms of 64 KiB pieces would be far more).
    EXPECT_LT(calls->load(), 400);
    source.reset();
  }  // the client goes without reading
  EXPECT_TRUE(EventuallyTrue(*destroyed));
}

TEST(HttpServerTest, StreamToAClientThatStopsReadingEndsAtItsDeadline) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 60;
  auto source = std::make_shared<ScriptedSource>(
      std::vector<std::string>{}, BodySource::Piece::kLast, std::chrono::milliseconds(300));
  auto destroyed = source->destroyed;
  auto calls = source->calls;
  auto server = StartServer(options, [&](const HttpRequest&) { return Streamed(source); });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: h\r\n\r\n"));
  for (int i = 0; i < 500 && calls->load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  source.reset();  // the server's is the last
  EXPECT_TRUE(EventuallyTrue(*destroyed));  // long before the idle timeout
  std::string raw = c.ReadToEof();
  EXPECT_GT(raw.size(), 64u * 1024);
  EXPECT_FALSE(raw.ends_with("0\r\n\r\n"));
}

TEST(HttpServerTest, WaitReturnsAfterStopFromAnotherThread) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  std::atomic<bool> waited{false};
  std::thread waiter([&] {
    server->Wait();
    waited = true;
  });
  server->Stop();
  waiter.join();
  EXPECT_TRUE(waited);
  Client c(server->port());
  EXPECT_FALSE(c.connected());
}

TEST(HttpServerTest, StopFromHandlerThenWait) {
  HttpServer* raw = nullptr;
  auto server = StartServer({}, [&](const HttpRequest&) {
    raw->Stop();  // must not deadlock by joining its own thread
    HttpResponse res;
    res.body = "bye";
    return res;
  });
  ASSERT_NE(server, nullptr);
  raw = server.get();
  Client c(server->port());
  RawResponse r = c.Exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.body, "bye");
  EXPECT_EQ(AsciiLower(r.Get("connection")), "close");
  server->Wait();
}

TEST(HttpServerTest, DestructorStopsServer) {
  uint16_t port;
  std::unique_ptr<Client> idle;
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    port = server->port();
    idle = std::make_unique<Client>(port);
    ASSERT_TRUE(idle->Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    ASSERT_EQ(idle->Read().status, 200);
  }  // the idle keep-alive connection is still open while the server goes
  EXPECT_TRUE(idle->AtEof());
  Client c(port);
  EXPECT_FALSE(c.connected());
}

TEST(HttpServerTest, StartErrors) {
  HttpServerOptions options;
  options.host = "not an address";
  options.port = 0;
  auto bad_host = HttpServer::Start(options, Echo);
  EXPECT_EQ(bad_host.status().code(), absl::StatusCode::kInvalidArgument);

  options.host = "127.0.0.1";
  options.threads = 0;
  EXPECT_EQ(HttpServer::Start(options, Echo).status().code(), absl::StatusCode::kInvalidArgument);

  auto first = StartServer();
  ASSERT_NE(first, nullptr);
  options.threads = 1;
  options.port = first->port();
  auto clash = HttpServer::Start(options, Echo);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable) << clash.status();
}

}  // namespace
}  // namespace kith::http
