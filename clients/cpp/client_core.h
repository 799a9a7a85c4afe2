#ifndef SWITCHBOARD_CLIENTS_CPP_CLIENT_CORE_H_
#define SWITCHBOARD_CLIENTS_CPP_CLIENT_CORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "clients/cpp/client_events.h"
#include "clients/cpp/client_options.h"
#include "clients/cpp/outbox.h"
#include "clients/cpp/request_tracker.h"
#include "clients/cpp/room_tracker.h"
#include "clients/cpp/session_connection.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// The asynchronous Switchboard client behind Client: requests correlated by
// id, room bookkeeping with duplicate suppression, and, when SessionConnection
// reconnects, rejoin from the last offsets seen and resend of queued
// publishes, except those whose first send is too old for the dedupe window
// (given up as FateUnknown).
//
// Not thread-safe: every method must be called on the I/O thread of
// `io_context` (a single thread runs it), and every callback and handler runs
// there. Each `done` callback runs exactly once, possibly before the method
// returns. stats() and connected() may be read from any thread.
class ClientCore {
 public:
  struct Handlers {
    // A room message, after duplicate suppression (batches arrive unpacked).
    std::function<void(const switchboard::client::v1::Message&)> on_message;
    // Other pushed frames and connection lifecycle events.
    std::function<void(const ClientEvent&)> on_event;
    // Every WebSocket connection that opened reports how it ended.
    std::function<void(const CloseInfo&)> on_close;
  };

  ClientCore(boost::asio::io_context& io_context, ClientOptions options,
             Handlers handlers);
  ~ClientCore();

  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // Opens a connection and completes with its Welcome; see
  // SessionConnection::Connect for the errors. The first connection is never
  // retried on its own: auto_reconnect applies once a session exists. A new
  // Connect after Close starts a new session with no rooms.
  void Connect(
      std::function<void(absl::StatusOr<switchboard::client::v1::Welcome>)>
          done);

  // Joins `room`; the room is rejoined after every reconnect until Leave.
  // kUnavailable unless connected.
  void Join(std::string room, const JoinOptions& options,
            std::function<void(absl::StatusOr<switchboard::client::v1::Joined>)>
                done);

  // Leaves `room`. While a reconnect is pending the room is simply not
  // rejoined, and `done` gets OK.
  void Leave(std::string room, std::function<void(absl::Status)> done);

  // Publishes with `message_id` (a random one when empty). While connecting or
  // reconnecting the publish waits in the outbox; it is resent with the same
  // id on every new connection until acked, and fails with kDeadlineExceeded
  // after request_timeout. kFailedPrecondition when not connected at all.
  // Fate unknown: once sent, it is resent only while its first send is within
  // ResendLimit(dedupe_window()); a new connection that finds it older
  // completes `done` with kAborted "fate unknown: ..." (IsFateUnknown) and
  // then emits a FateUnknown event (on_event), both on the I/O thread.
  void Publish(
      std::string room, switchboard::client::v1::Payload payload,
      std::string message_id,
      std::function<void(absl::StatusOr<switchboard::client::v1::PublishAck>)>
          done);

  // Sends an ephemeral event without asking for a reply (id 0): OK means it
  // was queued on the socket. Errors the gateway pushes arrive as events.
  absl::Status SendEphemeral(switchboard::client::v1::EphemeralPublish event);

  void Ping(
      std::function<void(absl::StatusOr<switchboard::client::v1::Pong>)> done);

  // Sends any request (its id is assigned here) and completes with the
  // frame that answers it; an Error reply becomes its status.
  void Request(
      switchboard::client::v1::ClientFrame frame,
      std::function<void(absl::StatusOr<switchboard::client::v1::ServerFrame>)>
          done);

  // Sends `bytes` as one WebSocket message, as is (binary or text opcode).
  absl::Status SendRaw(std::string bytes, bool binary);

  // Closes with `code` and stops reconnecting; pending requests and queued
  // publishes fail with kCancelled. `done` runs when the connection is closed
  // (bounded by connect_timeout).
  void Close(uint16_t code, std::function<void()> done);

  // The dedupe window the outbox counts with: the latest Welcome's, or
  // options.dedupe_window (2 minutes when not positive) when that Welcome
  // carried none or zero.
  absl::Duration dedupe_window() const { return dedupe_window_; }

  std::optional<uint64_t> LastOffset(absl::string_view room) const;
  std::vector<std::string> JoinedRooms() const;

  // Any thread.
  Stats stats() const;
  bool connected() const { return session_.connected(); }

 private:
  void SendRequest(switchboard::client::v1::ClientFrame frame,
                   RequestTracker::Callback done);
  void OnEstablished(const switchboard::client::v1::Welcome& welcome,
                     bool reconnect);
  void OnLost(const CloseInfo& close, bool will_reconnect,
              absl::Duration delay);
  void OnReconnectFailed(const absl::Status& status, int attempt,
                         bool will_retry);
  void Rejoin();
  void FlushOutbox();
  void Dispatch(const switchboard::client::v1::ServerFrame& frame);
  void Deliver(const switchboard::client::v1::Message& message);
  void Emit(const ClientEvent& event);

  const ClientOptions options_;
  const Handlers handlers_;

  // Set from every Welcome; see dedupe_window().
  absl::Duration dedupe_window_;
  uint64_t next_id_ = 1;
  RequestTracker requests_;
  Outbox outbox_;
  RoomTracker rooms_;
  // Last: its handlers use the members above.
  SessionConnection session_;

  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> duplicates_dropped_{0};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_CLIENT_CORE_H_
