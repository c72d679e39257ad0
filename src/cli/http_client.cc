#include "cli/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace kith::cli {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

struct Target {
  std::string host;
  std::string port = "80";
  std::string prefix;  // path before the API's own, without a trailing slash
};

StatusOr<Target> ParseBaseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return absl::InvalidArgumentError("--url takes http://HOST:PORT, not " + url);
  }
  std::string rest = url.substr(kScheme.size());
  Target t;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    t.prefix = rest.substr(slash);
    while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
    rest.resize(slash);
  }
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    t.port = rest.substr(colon + 1);
    rest.resize(colon);
  }
  if (!rest.empty() && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
  if (rest.empty() || t.port.empty()) return absl::InvalidArgumentError("no host in --url " + url);
  t.host = rest;
  return t;
}

}  // namespace

StatusOr<HttpReply> HttpPost(const std::string& base_url, const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::string& content_type, const std::string& body) {
  auto target = ParseBaseUrl(base_url);
  if (!target.ok()) return target.status();
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(300));
    stream.connect(resolver.resolve(target->host, target->port));
    http::request<http::string_body> request{http::verb::post, target->prefix + path, 11};
    request.set(http::field::host, target->host + ":" + target->port);
    request.set(http::field::user_agent, "kith-cli");
    request.set(http::field::content_type, content_type);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    HttpReply reply;
    reply.status = static_cast<int>(parser.get().result_int());
    reply.content_type = std::string(parser.get()[http::field::content_type]);
    reply.body = std::move(parser.get().body());
    return reply;
  } catch (const std::exception& e) {
    return absl::UnavailableError("cannot reach " + base_url + ": " + e.what());
  }
}

std::string FormEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace kith::cli
