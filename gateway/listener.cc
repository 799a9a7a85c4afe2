#include "gateway/listener.h"

#include <chrono>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "gateway/connection_slot.h"
#include "gateway/http_upgrade.h"
#include "gateway/tls_handshake.h"
#include "gateway/transport.h"
#include "gateway/worker.h"

namespace switchboard::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Listener::Acceptor {
  Acceptor(Worker& w, std::shared_ptr<const TlsContext> t)
      : worker(w), acceptor(w.io()), tls(std::move(t)) {}
  Worker& worker;
  tcp::acceptor acceptor;
  // Null for plain ws://. Shared: accepts may outlive the Listener.
  std::shared_ptr<const TlsContext> tls;
};

Listener::~Listener() = default;

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(const std::string& address, int port,
                                                           const std::vector<Worker*>& workers) {
  std::unique_ptr<Listener> self(new Listener());
  boost::system::error_code ec;
  auto ip = net::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("listen address ", address, ": ", ec.message()));
  if (workers.empty()) return absl::InvalidArgumentError("a listener needs at least one worker");
  const TlsOptions& tls = workers.front()->ctx().options->tls;
  std::shared_ptr<const TlsContext> tls_context;
  if (tls.enabled()) {
    auto context = TlsContext::Create(tls);
    if (!context.ok()) return context.status();
    tls_context = std::move(*context);
    SB_LOG_INFO("TLS on the WebSocket port (wss://), TLS {}+: {}", tls.min_version,
                tls_context->description());
    self->tls_enabled_ = true;
    absl::MutexLock lock(&self->tls_mu_);
    self->tls_ = tls_context;
  }
  int bound_port = port;
  if (port != 0) {
    // The workers' acceptors share the port through SO_REUSEPORT, which would
    // let a second gateway process (same user) share it too and take half of
    // the connections. A bind without SO_REUSEPORT fails while any socket
    // listens on the port, so a port already served is refused here.
    tcp::acceptor probe(workers.front()->io());
    tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", address, ":", port, ": ", ec.message()));
    }
    probe.close(ec);
  }
  for (Worker* worker : workers) {
    auto acceptor = std::make_shared<Acceptor>(*worker, tls_context);
    tcp::endpoint endpoint(ip, static_cast<uint16_t>(bound_port));
    acceptor->acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (setsockopt(acceptor->acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one,
                     sizeof(one)) != 0) {
        ec = boost::system::error_code(errno, boost::system::system_category());
      }
    }
    if (!ec) acceptor->acceptor.bind(endpoint, ec);
    if (!ec) acceptor->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", address, ":", bound_port, ": ", ec.message()));
    }
    bound_port = acceptor->acceptor.local_endpoint().port();
    self->acceptors_.push_back(std::move(acceptor));
  }
  self->port_ = bound_port;
  return self;
}

void Listener::Start() {
  for (auto& acceptor : acceptors_) {
    net::post(acceptor->worker.io(), [acceptor] { DoAccept(acceptor); });
  }
}

void Listener::DoAccept(std::shared_ptr<Acceptor> acceptor) {
  acceptor->acceptor.async_accept(
      acceptor->worker.io(), [acceptor](boost::system::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor->acceptor.is_open()) return;
        if (!ec) {
          Worker& worker = acceptor->worker;
          // The socket counts against the connection limits from here on.
          boost::system::error_code peer_ec;
          const auto peer = socket.remote_endpoint(peer_ec);
          ConnectionSlot slot = ConnectionSlot::Claim(
              *worker.ctx().limiter, peer_ec ? "unknown" : peer.address().to_string());
          if (slot.kind() == ConnectionSlot::Kind::kNone) {
            // Over the limits with every refusal slot busy: most likely a
            // flood of sockets that never finish their handshake. Closed
            // unread; a client sees a failed connect and backs off.
            worker.stats().accept_refusals.Add();
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            // One deadline for the TLS handshake and the HTTP upgrade.
            const auto deadline =
                std::chrono::steady_clock::now() +
                absl::ToChronoMilliseconds(worker.ctx().options->limits.handshake_timeout);
            if (acceptor->tls != nullptr) {
              std::make_shared<TlsHandshake>(worker, std::move(socket), acceptor->tls->native(),
                                             deadline, std::move(slot))
                  ->Run();
            } else {
              std::make_shared<HttpUpgrade>(worker, Transport(std::move(socket)), deadline,
                                            std::move(slot))
                  ->Run();
            }
          }
        } else {
          // EMFILE and the like: keep accepting; the connection limit and the
          // process's fd limit are what operators tune.
          SB_LOG_WARN("accept failed: {}", ec.message());
        }
        DoAccept(acceptor);
      });
}

absl::StatusOr<std::shared_ptr<const TlsContext>> Listener::ReloadTls(const TlsOptions& options) {
  if (!tls_enabled_) return absl::FailedPreconditionError("TLS is not enabled on this gateway");
  auto context = TlsContext::Create(options);
  if (!context.ok()) return context.status();
  std::shared_ptr<const TlsContext> next = std::move(*context);
  {
    absl::MutexLock lock(&tls_mu_);
    tls_ = next;
  }
  // Each acceptor's context is read by its accept handler on its worker's
  // thread: swap it there, and wait until every worker has, so that every
  // connection accepted after this returns gets the new certificate. The old
  // SSL_CTX lives on as long as a connection made with it (SSL_new, at
  // accept, takes a reference).
  struct Swapped {
    absl::Mutex mu;
    size_t count ABSL_GUARDED_BY(mu) = 0;
  };
  auto swapped = std::make_shared<Swapped>();
  for (auto& acceptor : acceptors_) {
    net::post(acceptor->worker.io(), [acceptor, next, swapped] {
      acceptor->tls = next;
      absl::MutexLock lock(&swapped->mu);
      ++swapped->count;
    });
  }
  absl::MutexLock lock(&swapped->mu);
  const size_t workers = acceptors_.size();
  auto all_swapped = [&swapped, workers]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(swapped->mu) {
    return swapped->count == workers;
  };
  if (!swapped->mu.AwaitWithTimeout(absl::Condition(&all_swapped), absl::Seconds(5))) {
    SB_LOG_WARN("TLS reload: a worker took more than 5 s to switch certificates");
  }
  return next;
}

std::shared_ptr<const TlsContext> Listener::tls_context() const {
  absl::MutexLock lock(&tls_mu_);
  return tls_;
}

void Listener::StopAccepting() {
  for (auto& acceptor : acceptors_) {
    net::post(acceptor->worker.io(), [acceptor] {
      boost::system::error_code ignored;
      acceptor->acceptor.close(ignored);
    });
  }
}

}  // namespace switchboard::gateway
