#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/error_details.h"

namespace kith::http {
namespace {

namespace ssl = boost::asio::ssl;

// Mozilla's intermediate configuration (v5.7) for TLS 1.2, without the DHE
// suites (they need Diffie-Hellman parameters of their own); TLS 1.3 keeps
// OpenSSL's default suites, all of which are modern.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status Refused(const std::string& what, const boost::system::error_code& ec) {
  std::string message = what + ": " + ec.message();
  return InvalidArgument(message);
}

}  // namespace

StatusOr<std::unique_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                              const std::string& key_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                           ssl::context::single_dh_use,
                       ec);
  if (ec) return Refused("cannot set up TLS", ec);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return InvalidArgument("cannot set up TLS 1.2+ with modern ciphers");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) return Refused("cannot read the TLS certificate " + cert_file, ec);
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return Refused("cannot read the TLS private key " + key_file, ec);
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return InvalidArgument("the TLS private key " + key_file + " does not belong to the certificate " +
                           cert_file);
  }
  return context;
}

}  // namespace kith::http
