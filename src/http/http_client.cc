#include "http/http_client.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace kith::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// The exchange, as a chain of asynchronous steps on one io_context that
// this thread runs: every step is bounded by the one deadline (tcp_stream's
// expiry applies only to asynchronous operations).
template <class Stream>
struct Exchange : std::enable_shared_from_this<Exchange<Stream>> {
  Stream& stream;
  std::function<void(beast::error_code, const char*)> fail;
  std::function<void()> done;
  bhttp::request<bhttp::string_body> request;
  beast::flat_buffer buffer;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;

  explicit Exchange(Stream& s) : stream(s) {}

  void Send() {
    auto self = this->shared_from_this();
    bhttp::async_write(stream, request, [self](beast::error_code ec, size_t) {
      if (ec) return self->fail(ec, "sending the request");
      self->Read();
    });
  }
  void Read() {
    auto self = this->shared_from_this();
    bhttp::async_read(stream, buffer, *parser, [self](beast::error_code ec, size_t) {
      // An answer longer than the limit is still an answer: its head and
      // the first part of its body count.
      if (ec && ec != bhttp::error::body_limit) return self->fail(ec, "reading the answer");
      self->done();
    });
  }
};

Status Failure(beast::error_code ec, const char* step) {
  if (ec == beast::error::timeout) return absl::DeadlineExceededError(std::string("timed out ") + step);
  return absl::UnavailableError(std::string(step) + ": " + ec.message());
}

}  // namespace

StatusOr<UrlParts> ParseHttpUrl(const std::string& url) {
  UrlParts parts;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    parts.tls = true;
    rest = url.substr(8);
  } else {
    return absl::InvalidArgumentError("the URL must start with http:// or https://");
  }
  size_t slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  parts.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (size_t hash = parts.target.find('#'); hash != std::string::npos) parts.target.resize(hash);
  if (parts.target.empty() || parts.target[0] != '/') parts.target = "/" + parts.target;
  if (authority.find('@') != std::string::npos) {
    return absl::InvalidArgumentError("the URL must not hold a user name or password");
  }
  parts.port = parts.tls ? "443" : "80";
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("the URL's host is not valid");
    parts.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return absl::InvalidArgumentError("the URL's host is not valid");
      parts.port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    parts.host = authority.substr(0, colon);
    parts.port = authority.substr(colon + 1);
  } else {
    parts.host = authority;
  }
  if (parts.host.empty()) return absl::InvalidArgumentError("the URL has no host");
  if (parts.port.empty() || parts.port.size() > 5 ||
      parts.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(parts.port) < 1 || std::stoi(parts.port) > 65535) {
    return absl::InvalidArgumentError("the URL's port is not valid");
  }
  for (char c : parts.host) {
    if (c <= ' ' || c == '/' || c == '\\' || c == '"') {
      return absl::InvalidArgumentError("the URL's host is not valid");
    }
  }
  return parts;
}

StatusOr<PostAnswer> HttpPost(const OutgoingPost& post) {
  auto parsed = ParseHttpUrl(post.url);
  if (!parsed.ok()) return parsed.status();
  const UrlParts& url = *parsed;
  asio::io_context io;
  const auto deadline = std::chrono::milliseconds(post.timeout_ms);
  Status result = absl::DeadlineExceededError("timed out");
  PostAnswer answer;

  bhttp::request<bhttp::string_body> request{bhttp::verb::post, url.target, 11};
  request.set(bhttp::field::host, url.host);
  request.set(bhttp::field::user_agent, "kith-webhook");
  request.set(bhttp::field::content_type, post.content_type);
  request.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : post.headers) request.set(name, value);
  request.body() = post.body;
  request.prepare_payload();

  tcp::resolver resolver(io);
  asio::ssl::context tls_context(asio::ssl::context::tls_client);
  // One of the two, by the scheme: the TLS stream owns its TCP stream.
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  if (url.tls) {
    tls_context.set_default_verify_paths();
    tls_context.set_verify_mode(asio::ssl::verify_peer);
    tls.emplace(io, tls_context);
    tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    // SNI: the name the receiver's certificate is chosen by.
    SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str());
  } else {
    plain.emplace(io);
  }
  beast::tcp_stream& connection = url.tls ? beast::get_lowest_layer(*tls) : *plain;
  auto fail = [&](beast::error_code ec, const char* step) { result = Failure(ec, step); };
  auto finish = [&](auto* exchange) {
    answer.status = static_cast<int>(exchange->parser->get().result_int());
    answer.body = exchange->parser->get().body();
    result = Status();
  };
  auto start = [&](auto exchange) {
    exchange->request = request;
    exchange->parser.emplace();
    exchange->parser->body_limit(post.answer_limit);
    exchange->fail = fail;
    exchange->done = [&finish, e = exchange.get()] { finish(e); };  // no cycle: e is held by the pending step
    exchange->Send();
  };

  connection.expires_after(deadline);
  // Name resolution runs on asio's own thread; the deadline covers it too.
  asio::steady_timer resolve_deadline(io, deadline);
  resolve_deadline.async_wait([&](beast::error_code ec) {
    if (!ec) resolver.cancel();
  });
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type found) {
    resolve_deadline.cancel();
    if (ec) {
      result = ec == asio::error::operation_aborted ? absl::DeadlineExceededError("timed out resolving the host")
                                                    : Failure(ec, "resolving the host");
      return;
    }
    connection.async_connect(found, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return fail(ec, "connecting");
      if (!url.tls) {
        start(std::make_shared<Exchange<beast::tcp_stream>>(*plain));
        return;
      }
      tls->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code ec) {
        if (ec) return fail(ec, "the TLS handshake");
        start(std::make_shared<Exchange<beast::ssl_stream<beast::tcp_stream>>>(*tls));
      });
    });
  });
  io.run();
  if (!result.ok()) return result;
  return answer;
}

}  // namespace kith::http
