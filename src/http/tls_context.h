// The TLS settings of kith's HTTPS server: TLS 1.2 and 1.3 only, with
// Mozilla's "intermediate" cipher list (forward-secret AEAD ciphers) for
// TLS 1.2, no compression, no renegotiation.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "base/status.h"

namespace kith::http {

// A server context over the PEM certificate chain in `cert_file` and its
// private key in `key_file`. kInvalidArgument naming the file when either
// cannot be read or they do not belong together.
StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace kith::http
