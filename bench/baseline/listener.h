#ifndef SWITCHBOARD_BENCH_BASELINE_LISTENER_H_
#define SWITCHBOARD_BENCH_BASELINE_LISTENER_H_

#include <cstddef>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/status/status.h"
#include "bench/baseline/broadcast_room.h"

namespace switchboard::bench::baseline {

// Accepts TCP connections and starts a WebSocketSession on each, all in one
// BroadcastRoom. Single-threaded (the server's one io_context).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& io, BroadcastRoom& room, size_t max_queue);

  // Binds and listens; Unavailable if the address cannot be used.
  absl::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Starts accepting (call once, after Listen).
  void Run();
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void DoAccept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  BroadcastRoom& room_;
  const size_t max_queue_;
};

}  // namespace switchboard::bench::baseline

#endif  // SWITCHBOARD_BENCH_BASELINE_LISTENER_H_
