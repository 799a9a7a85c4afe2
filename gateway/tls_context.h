#ifndef SWITCHBOARD_GATEWAY_TLS_CONTEXT_H_
#define SWITCHBOARD_GATEWAY_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/gateway_options.h"

namespace switchboard::gateway {

// The WebSocket port's TLS configuration: one OpenSSL SSL_CTX holding the
// certificate chain and private key, loaded once at startup and shared by
// every worker. It is never modified after Create(), which is what makes
// SSL_new() on it safe from any thread. A reload (SIGHUP) creates a new one;
// connections keep the SSL_CTX they started with (SSL_new holds a reference).
//
// Settings: TLS 1.2 or 1.3 at least (TlsOptions::min_version), OpenSSL's
// default cipher suites with the server's order preferred, no renegotiation
// (a client could make the server redo expensive handshakes), no compression,
// ALPN "http/1.1" when the client offers it, session resumption by stateless
// tickets only (no server-side cache to lock or grow), and read-ahead with
// record buffers released while a connection is idle.
class TlsContext {
 public:
  // Loads and checks the files: InvalidArgument, naming the file, when one is
  // missing, unreadable, not PEM, or when the key does not match the
  // certificate (or is passphrase-protected: the gateway never prompts).
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  // "CN=example.com, expires 2027-01-01": for the startup log line.
  const std::string& description() const { return description_; }
  // The certificate's notAfter (InfinitePast if unreadable).
  absl::Time not_after() const { return not_after_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}

  SSL_CTX* ctx_;
  std::string description_;
  absl::Time not_after_ = absl::InfinitePast();
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_TLS_CONTEXT_H_
