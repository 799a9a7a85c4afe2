#ifndef SWITCHBOARD_CLIENTS_CPP_WEBSOCKET_CONNECTION_H_
#define SWITCHBOARD_CLIENTS_CPP_WEBSOCKET_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/beast/websocket.hpp"
#include "boost/beast/websocket/ssl.hpp"
#include "clients/cpp/client_events.h"
#include "clients/cpp/server_status.h"

namespace switchboard {
namespace client {

// One client-side WebSocket connection (Boost.Beast owns all of its I/O):
// TCP connect, TLS handshake for wss:// (certificate and host name verified),
// HTTP upgrade with one subprotocol, then whole messages in both
// directions with at most one write in flight and a bounded write queue. It
// knows nothing of Switchboard frames; ClientCore does.
//
// Not thread-safe: every method must be called on the I/O thread of the
// io_context it was created with, and every handler runs there. Create with
// std::make_shared (asynchronous operations keep it alive).
class WebSocketConnection
    : public std::enable_shared_from_this<WebSocketConnection> {
 public:
  struct Settings {
    std::string host;
    int port = 0;
    // Request target: path plus query ("/ws?token=...").
    std::string target;
    // The one subprotocol offered; the server must select it.
    std::string subprotocol;
    // Extra upgrade request headers (Authorization, Origin, ...).
    std::vector<std::pair<std::string, std::string>> headers;
    size_t max_message_bytes = 16 << 20;
    size_t max_queued_writes = 10000;
    // Bound on the closing handshake.
    absl::Duration close_timeout = absl::Seconds(5);
    // wss:// when set (MakeClientTlsContext); the server's certificate must
    // then name `host`.
    std::shared_ptr<boost::asio::ssl::context> tls_context;
  };

  struct Handlers {
    // One whole received message. `binary` is its WebSocket opcode.
    std::function<void(std::string message, bool binary)> on_message;
    // Exactly once, after Open succeeded, when the connection is over.
    std::function<void(const CloseInfo& close)> on_closed;
  };

  WebSocketConnection(boost::asio::io_context& io_context, Settings settings,
                      Handlers handlers);
  ~WebSocketConnection();

  WebSocketConnection(const WebSocketConnection&) = delete;
  WebSocketConnection& operator=(const WebSocketConnection&) = delete;

  // Resolves, connects and upgrades within `timeout`. `done` runs exactly once:
  // OK (then messages start flowing), kDeadlineExceeded, kCancelled (Abort or
  // Close during Open), kUnavailable for network errors, or a code from the
  // HTTP status when the upgrade was declined (401 -> kUnauthenticated,
  // 403 -> kPermissionDenied, 429 -> kResourceExhausted, ...). A failed TLS
  // handshake (untrusted certificate, wrong host name) is kUnavailable, with
  // OpenSSL's verification error in the message.
  // kFailedPrecondition when the server did not select the subprotocol.
  void Open(absl::Duration timeout, std::function<void(absl::Status)> done);

  // Queues one message. False (message dropped) when the connection is not
  // open or already holds max_queued_writes messages.
  bool Send(std::shared_ptr<const std::string> message, bool binary);

  // Starts the closing handshake with `code`. on_closed follows; it reports
  // the server's close code if one came back.
  void Close(uint16_t code, absl::string_view reason = "");

  // Drops the connection without a closing handshake. on_closed (if Open had
  // succeeded) follows asynchronously, never from inside this call.
  void Abort();

  // The server is considered dead after `timeout` without receiving anything;
  // a ping goes out after half of it. Zero disables. Takes effect with the
  // next read, so call it before returning from on_message or before Open.
  void SetIdleTimeout(absl::Duration timeout);

  bool is_open() const { return phase_ == Phase::kOpen; }
  size_t queued_writes() const { return queue_.size(); }

 private:
  enum class Phase { kNew, kOpening, kOpen, kClosing, kClosed };

  struct Outgoing {
    std::shared_ptr<const std::string> data;
    bool binary;
  };

  void OnResolve(const boost::beast::error_code& ec,
                 boost::asio::ip::tcp::resolver::results_type results);
  void OnConnect(const boost::beast::error_code& ec);
  void OnTlsHandshake(const boost::beast::error_code& ec);
  void StartUpgrade();
  void OnHandshake(const boost::beast::error_code& ec);
  void FinishOpen(absl::Status status);
  absl::Status OpenError(absl::string_view step,
                         const boost::beast::error_code& ec) const;

  void DoRead();
  void OnRead(const boost::beast::error_code& ec);
  void DoWrite();
  void OnWrite(const boost::beast::error_code& ec);
  void ReportClosed(const boost::beast::error_code& ec);
  void CloseSocket();

  boost::asio::io_context& io_context_;
  const Settings settings_;
  Handlers handlers_;
  using PlainStream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using TlsStream = boost::beast::websocket::stream<
      boost::beast::ssl_stream<boost::beast::tcp_stream>>;
  // Calls f with whichever stream this connection has (exactly one is set).
  template <typename F>
  decltype(auto) WithStream(F&& f) {
    return tls_ws_ != nullptr ? f(*tls_ws_) : f(*plain_ws_);
  }

  boost::asio::ip::tcp::resolver resolver_;
  std::unique_ptr<PlainStream> plain_ws_;
  std::unique_ptr<TlsStream> tls_ws_;
  boost::asio::steady_timer open_timer_;
  boost::beast::websocket::response_type response_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<Outgoing> queue_;
  bool writing_ = false;

  Phase phase_ = Phase::kNew;
  std::function<void(absl::Status)> open_done_;
  bool open_timed_out_ = false;
  bool open_cancelled_ = false;
  // Set when the client sent a close frame (0 = it did not).
  uint16_t client_close_code_ = 0;
  bool closed_reported_ = false;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_WEBSOCKET_CONNECTION_H_
