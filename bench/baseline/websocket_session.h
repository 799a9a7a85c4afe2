#ifndef SWITCHBOARD_BENCH_BASELINE_WEBSOCKET_SESSION_H_
#define SWITCHBOARD_BENCH_BASELINE_WEBSOCKET_SESSION_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace switchboard::bench::baseline {

class BroadcastRoom;

// One client of the baseline server, the "plain Boost.Beast" shape: Beast's
// websocket::stream owns all I/O (upgrade, reads, control frames, writes);
// outgoing messages wait in a per-session queue of shared buffers and leave
// with one async_write per message, one write in flight at a time.
//
// `max_queue` bounds the queue (0: unbounded, as in Beast's chat example);
// a session whose queue is full is closed. (A deque, not the example's
// vector: erasing the front of a long vector would add a memmove per write
// that a fair baseline should not pay.)
//
// Single-threaded (the server's one io_context); handlers keep the session
// alive through shared_from_this.
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(boost::asio::ip::tcp::socket socket, BroadcastRoom& room, size_t max_queue);
  ~WebSocketSession();

  // Accepts the upgrade, then reads until the peer goes away.
  void Run();
  // Queues `message` for this session.
  void Send(const std::shared_ptr<const std::string>& message);

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void Close();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  BroadcastRoom& room_;
  const size_t max_queue_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool joined_ = false;
  bool closed_ = false;
};

}  // namespace switchboard::bench::baseline

#endif  // SWITCHBOARD_BENCH_BASELINE_WEBSOCKET_SESSION_H_
