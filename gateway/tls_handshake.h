#ifndef SWITCHBOARD_GATEWAY_TLS_HANDSHAKE_H_
#define SWITCHBOARD_GATEWAY_TLS_HANDSHAKE_H_

#include <openssl/ssl.h>

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/connection_slot.h"
#include "gateway/transport.h"
#include "gateway/worker_stats.h"

namespace switchboard::gateway {

class Worker;

// The server side of the TLS handshake on a freshly accepted socket, by
// `deadline` (the handshake timeout, counted from the accept and shared with
// the HTTP upgrade that follows); then the socket and its session go to an
// HttpUpgrade. A handshake that does not complete (a TLS error, plain HTTP
// sent to the TLS port, a peer that leaves or stalls) is counted in
// WorkerStats::tls_handshake_failures and closed; it affects nothing but this
// socket. Runs on its worker's thread.
class TlsHandshake : public std::enable_shared_from_this<TlsHandshake> {
 public:
  TlsHandshake(Worker& worker, boost::asio::ip::tcp::socket socket, SSL_CTX* ctx,
               std::chrono::steady_clock::time_point deadline, ConnectionSlot slot);
  void Run();

 private:
  // Advances the handshake and sends its output; waits for the socket as
  // OpenSSL asks, and hands over once done and flushed.
  void Step();
  void Wait(boost::asio::ip::tcp::socket::wait_type type);
  void Fail(TlsHandshakeFailure reason);

  Worker& worker_;
  Transport transport_;
  boost::asio::steady_timer timer_;
  const std::chrono::steady_clock::time_point deadline_;
  ConnectionSlot slot_;
  bool done_ = false;  // handed over or failed
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_TLS_HANDSHAKE_H_
