#ifndef SWITCHBOARD_GATEWAY_LISTENER_H_
#define SWITCHBOARD_GATEWAY_LISTENER_H_

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/tls_context.h"

namespace switchboard::gateway {

class Worker;

// Accepts TCP connections for the WebSocket port: one SO_REUSEPORT acceptor per
// worker on its own event loop, so the kernel spreads new connections over
// the workers and no accept ever crosses threads. Each accepted socket starts
// an HttpUpgrade on the accepting worker, after a TlsHandshake when the
// workers' GatewayOptions::tls is enabled (wss://).
class Listener {
 public:
  // Binds every worker's acceptor to address:port (port 0: one free port,
  // shared by all), and with TLS loads the certificate chain and key once
  // for all workers (InvalidArgument, naming the file, when they are
  // unusable). Call before the workers start.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(const std::string& address, int port,
                                                          const std::vector<Worker*>& workers);
  ~Listener();

  // Starts accepting (posts to each worker).
  void Start();
  // Stops accepting new connections (drain); existing ones are untouched.
  void StopAccepting();

  // Loads the certificate chain and key again from the same files (SIGHUP)
  // and makes every worker use them for the connections it accepts next;
  // connections already open keep theirs. On an error (InvalidArgument, naming
  // the file, as at startup) nothing changes. FailedPrecondition without TLS.
  // Returns the new context. Call from one thread at a time.
  absl::StatusOr<std::shared_ptr<const TlsContext>> ReloadTls(const TlsOptions& options);

  int port() const { return port_; }
  bool tls() const { return tls_enabled_; }
  // The TLS context new connections get (null without TLS).
  std::shared_ptr<const TlsContext> tls_context() const;

 private:
  struct Acceptor;
  Listener() = default;
  static void DoAccept(std::shared_ptr<Acceptor> acceptor);

  bool tls_enabled_ = false;
  mutable absl::Mutex tls_mu_;
  std::shared_ptr<const TlsContext> tls_ ABSL_GUARDED_BY(tls_mu_);
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
  int port_ = 0;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_LISTENER_H_
