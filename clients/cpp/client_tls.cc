#include "clients/cpp/client_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchboard {
namespace client {

namespace ssl = ::boost::asio::ssl;

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(
    const std::string& ca_file) {
  if (!ca_file.empty()) {
    FILE* f = std::fopen(ca_file.c_str(), "rb");
    if (f == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TLS CA file \"", ca_file, "\": ", std::strerror(errno)));
    }
    std::fclose(f);
  }
  std::shared_ptr<ssl::context> context;
  try {  // Asio throws only when OpenSSL cannot allocate the context.
    context = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const boost::system::system_error& e) {
    return absl::InternalError(absl::StrCat("TLS context: ", e.what()));
  }
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  context->set_verify_mode(ssl::verify_peer, ec);
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_file, ec);
  }
  ERR_clear_error();
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS CA file \"", ca_file.empty() ? "(system default)" : ca_file,
        "\" has no usable PEM certificate: ", ec.message()));
  }
  return context;
}

}  // namespace client
}  // namespace switchboard
