#ifndef SWITCHBOARD_CLIENTS_CPP_SESSION_CONNECTION_H_
#define SWITCHBOARD_CLIENTS_CPP_SESSION_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "clients/cpp/backoff.h"
#include "clients/cpp/client_events.h"
#include "clients/cpp/client_options.h"
#include "clients/cpp/websocket_connection.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// One Switchboard session carried by successive WebSocket connections: the
// upgrade (token in header or query), the Connect/Welcome handshake (with the
// previous session id when resuming), decoding of server frames, and, with
// auto_reconnect, the reconnect policy: which close codes allow it, full-jitter
// backoff or the GoingAway delay, and when to give up. What a session means
// (requests, rooms, publishes) is ClientCore's business.
//
// Not thread-safe: every method must be called on the I/O thread of
// `io_context`; every handler runs there, never from inside the call that
// caused it unless stated. connected() may be read from any thread.
class SessionConnection {
 public:
  struct Handlers {
    // Welcome arrived: the first one (reconnect == false) or after a drop.
    std::function<void(const switchboard::client::v1::Welcome& welcome,
                       bool reconnect)>
        on_established;
    // Every decoded frame of an established session, in order.
    std::function<void(const switchboard::client::v1::ServerFrame& frame)>
        on_frame;
    // An established session's connection ended. With will_reconnect, an
    // attempt follows after `delay`; otherwise the session is over.
    std::function<void(const CloseInfo& close, bool will_reconnect,
                       absl::Duration delay)>
        on_lost;
    // A reconnect attempt failed; without will_retry the session is over.
    std::function<void(const absl::Status& status, int attempt,
                       bool will_retry)>
        on_reconnect_failed;
    // Every WebSocket connection that opened reports how it ended.
    std::function<void(const CloseInfo& close)> on_close;
  };

  enum class State {
    kIdle,           // never connected
    kConnecting,     // first attempt (Connect)
    kOpen,           // Welcome received
    kReconnectWait,  // dropped; waiting out the delay
    kReconnecting,   // a reconnect attempt is under way
    kClosing,        // Close: closing handshake under way
    kClosed,         // over (until the next Connect)
  };

  // `next_id` hands out ClientFrame ids shared with the caller's requests.
  SessionConnection(boost::asio::io_context& io_context,
                    const ClientOptions& options,
                    std::function<uint64_t()> next_id, Handlers handlers);
  ~SessionConnection();

  SessionConnection(const SessionConnection&) = delete;
  SessionConnection& operator=(const SessionConnection&) = delete;

  // Starts a new session (no session id to resume). `done` gets the Welcome,
  // or the first attempt's error (never retried): transport or upgrade error,
  // the server's Error, the close code's status, or kDeadlineExceeded after
  // connect_timeout. kFailedPrecondition unless idle or closed;
  // kInvalidArgument when options.tls_ca_file cannot be used.
  void Connect(
      std::function<void(absl::StatusOr<switchboard::client::v1::Welcome>)>
          done);

  // Encodes and queues one frame on the current connection. kUnavailable when
  // not open, kResourceExhausted when the write queue is full.
  absl::Status Send(const switchboard::client::v1::ClientFrame& frame);
  absl::Status SendRaw(std::string bytes, bool binary);

  // Closes with `code` and ends the session: no more reconnects. A pending
  // Connect fails with kCancelled. `done` runs once the connection is closed
  // (bounded by connect_timeout), possibly before this returns.
  void Close(uint16_t code, std::function<void()> done);

  State state() const { return state_; }
  // Any thread.
  bool connected() const { return connected_.load(); }
  uint64_t decode_errors() const { return decode_errors_.load(); }

 private:
  template <typename F>
  auto Guarded(F f);

  WebSocketConnection::Settings ConnectionSettings() const;
  // The gateway the next attempt goes to, and the move to the next one of
  // options.host:port and options.fallback_gateways (round robin).
  const GatewayAddress& CurrentGateway() const;
  void NextGateway();
  bool SendsConnectFrame() const;
  void StartAttempt(bool reconnect);
  void OnOpened(uint64_t serial, const absl::Status& status);
  void OnMessage(uint64_t serial, const std::string& message, bool binary);
  void OnClosed(uint64_t serial, const CloseInfo& close);
  void OnWelcome(const switchboard::client::v1::Welcome& welcome);
  void FailAttempt(const absl::Status& status);
  void OnDropped(const CloseInfo& close);
  void ScheduleReconnect(absl::Duration delay);

  boost::asio::io_context& io_context_;
  const ClientOptions options_;
  const std::function<uint64_t()> next_id_;
  const Handlers handlers_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  // With options.tls: shared by every connection of the session, or why
  // there is none.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  absl::Status tls_status_;

  State state_ = State::kIdle;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> decode_errors_{0};
  bool closed_by_user_ = false;

  // The current connection; handlers of older ones carry an older serial.
  std::shared_ptr<WebSocketConnection> connection_;
  uint64_t serial_ = 0;
  bool connection_open_ = false;

  uint64_t connect_frame_id_ = 0;
  std::string session_id_;
  std::function<void(absl::StatusOr<switchboard::client::v1::Welcome>)>
      connect_done_;
  std::vector<std::function<void()>> close_waiters_;

  // options.host:port first, then options.fallback_gateways.
  std::vector<GatewayAddress> gateways_;
  size_t gateway_index_ = 0;
  // Gateways Connect has yet to try after the current attempt.
  size_t connect_gateways_left_ = 0;

  Backoff backoff_;
  int reconnect_attempts_ = 0;
  std::optional<absl::Duration> going_away_delay_;
  boost::asio::steady_timer attempt_timer_;
  boost::asio::steady_timer reconnect_timer_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_SESSION_CONNECTION_H_
