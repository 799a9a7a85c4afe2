#ifndef SWITCHBOARD_CLIENTS_CPP_CLIENT_H_
#define SWITCHBOARD_CLIENTS_CPP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "clients/cpp/client_events.h"
#include "clients/cpp/client_options.h"
#include "clients/cpp/inbox.h"
// Part of the Client API: payload builders and ErrorCodeOf / ServerErrorOf.
#include "clients/cpp/message_util.h"
#include "clients/cpp/server_status.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

class ClientCore;

// A Switchboard WebSocket client with its own I/O thread.
//
// Two APIs over one asynchronous core (ClientCore):
//  - blocking calls (Connect, Join, Publish, ...) that return the reply or an
//    absl::Status: an Error frame becomes the status its ErrorCode maps to,
//    with the server's message; ErrorCodeOf(status) recovers the ErrorCode.
//  - *Async calls whose callback runs on the I/O thread.
// Everything the server pushes is both handed to callbacks (OnMessage,
// OnEvent, on the I/O thread) and kept in bounded inboxes (NextPush,
// NextEvent, WaitForClose) for threads that prefer to pull.
//
// With options.auto_reconnect, a dropped session (drop, or a close code that
// allows it) reconnects with full-jitter backoff (or after GoingAway's delay),
// resumes its session id, rejoins every room after the last offset seen,
// drops duplicates, and sends queued publishes under their original ids.
//
// Fate unknown: a publish sent but not acked when the connection dropped is
// resent under its id only while its first send is younger than the dedupe
// window (Welcome.dedupe_window, else options.dedupe_window) less a margin.
// Older, it could be stored twice, so it is not resent: it completes with
// kAborted "fate unknown: ..." (IsFateUnknown) and a FateUnknown event
// follows (OnEvent on the I/O thread, and NextEvent) with its room, id and
// payload; the app looks for the id in the room's history and publishes again
// under a new id if it is missing (docs/delivery.md, "Fate unknown").
//
// Room names are not checked here: the gateway is the entry point that
// validates them (and tests of it need to send bad ones).
//
// Thread-safe: every method may be called from any thread, except that the
// blocking calls must not be made from a callback (they return
// kFailedPrecondition there; use the Async variants), and the Client must not
// be destroyed from a callback.
//
//   ClientOptions options;
//   options.port = 8080;
//   options.token = jwt;
//   options.auto_reconnect = true;
//   Client client(options);
//   absl::StatusOr<v1::Welcome> welcome = client.Connect();
//   absl::StatusOr<v1::Joined> joined = client.Join("lobby");
//   absl::StatusOr<v1::PublishAck> ack =
//       client.Publish("lobby", TextPayload("hi"));
//   std::optional<v1::ServerFrame> push = client.NextPush(absl::Seconds(1));
class Client {
 public:
  explicit Client(ClientOptions options);
  // Closes the connection (code 1000, bounded by connect_timeout) and stops
  // the I/O thread; no callback runs after it returns.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- Blocking API ----------------------------------------------------------

  // Connects and waits for Welcome; see SessionConnection::Connect for the
  // errors. kFailedPrecondition when already connected or connecting.
  absl::StatusOr<switchboard::client::v1::Welcome> Connect();

  absl::StatusOr<switchboard::client::v1::Joined> Join(
      absl::string_view room, const JoinOptions& options = JoinOptions());

  absl::Status Leave(absl::string_view room);

  // Publishes under `message_id`, or a fresh random one when empty; the id is
  // kept for every resend after a reconnect. Waits for the ack. Errors of its
  // own: kDeadlineExceeded when not acked within request_timeout (it may have
  // been stored; publishing again under the same id soon is safe); kAborted
  // "fate unknown: ..." (IsFateUnknown) when it was not resent after a
  // reconnect because its first send is too old for the dedupe window (see
  // above; publish again under a new id only after checking the history).
  absl::StatusOr<switchboard::client::v1::PublishAck> Publish(
      absl::string_view room, switchboard::client::v1::Payload payload,
      absl::string_view message_id = "");

  // Fire-and-forget ephemeral event (typing, cursor, custom `name`).
  absl::Status SendEphemeral(absl::string_view room,
                             switchboard::client::v1::EphemeralType type,
                             switchboard::client::v1::Payload payload =
                                 switchboard::client::v1::Payload(),
                             absl::string_view name = "");

  absl::StatusOr<switchboard::client::v1::Pong> Ping();

  // Any request frame (PresenceQuery, RefreshToken, ...): its id is assigned
  // here; returns the frame answering it, an Error reply as its status.
  absl::StatusOr<switchboard::client::v1::ServerFrame> Request(
      switchboard::client::v1::ClientFrame frame);

  // Sends `bytes` as one WebSocket message exactly as given (for tests of
  // malformed input). OK means queued on the socket.
  absl::Status SendRaw(absl::string_view bytes, bool binary);

  // Closes with `code` and waits until the connection is closed; stops
  // reconnecting. Pending requests and queued publishes fail with kCancelled.
  void Close(uint16_t code = 1000);

  // --- Asynchronous API: callbacks run on the I/O thread, exactly once -------

  void ConnectAsync(
      std::function<void(absl::StatusOr<switchboard::client::v1::Welcome>)>
          done);
  void JoinAsync(
      absl::string_view room, const JoinOptions& options,
      std::function<void(absl::StatusOr<switchboard::client::v1::Joined>)>
          done);
  void PublishAsync(
      absl::string_view room, switchboard::client::v1::Payload payload,
      absl::string_view message_id,
      std::function<void(absl::StatusOr<switchboard::client::v1::PublishAck>)>
          done);
  void RequestAsync(
      switchboard::client::v1::ClientFrame frame,
      std::function<void(absl::StatusOr<switchboard::client::v1::ServerFrame>)>
          done);

  // --- What the server pushes ------------------------------------------------

  // Next pushed frame: room messages (after duplicate suppression, batches
  // unpacked into single Message frames) and every other push (ephemeral,
  // presence, going-away, left, errors). nullopt after `timeout`.
  std::optional<switchboard::client::v1::ServerFrame> NextPush(
      absl::Duration timeout);

  // Next event as OnEvent sees it: non-message pushes, the connection
  // lifecycle (Disconnected, ReconnectFailed, Reconnected, Rejoined) and
  // publishes given up (FateUnknown).
  std::optional<ClientEvent> NextEvent(absl::Duration timeout);

  // How the oldest connection not yet reported here ended (one entry per
  // connection that opened); nullopt when none ended within `timeout`.
  std::optional<CloseInfo> WaitForClose(absl::Duration timeout);

  // Callbacks, run on the I/O thread; they must not block for long and must
  // not call the blocking API. Replaces any previous callback; pass nullptr
  // to remove.
  void OnMessage(
      std::function<void(const switchboard::client::v1::Message&)> callback);
  void OnEvent(std::function<void(const ClientEvent&)> callback);

  // --- State -----------------------------------------------------------------

  Stats stats() const;
  // True between Welcome and the end of that connection.
  bool connected() const;
  // The offset `room` resumes after; nullopt when not joined or unknown.
  std::optional<uint64_t> LastOffset(absl::string_view room);
  std::vector<std::string> JoinedRooms();
  const ClientOptions& options() const { return options_; }

 private:
  bool OnIoThread() const;
  // Runs `start` on the I/O thread and waits for the value it completes with.
  template <typename T>
  T Await(std::function<void(std::function<void(T)>)> start);

  void HandleMessage(const switchboard::client::v1::Message& message);
  void HandleEvent(const ClientEvent& event);

  const ClientOptions options_;
  boost::asio::io_context io_context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;

  Inbox<switchboard::client::v1::ServerFrame> pushes_;
  Inbox<ClientEvent> events_;
  Inbox<CloseInfo> closes_;

  absl::Mutex callbacks_mu_;
  std::function<void(const switchboard::client::v1::Message&)> on_message_
      ABSL_GUARDED_BY(callbacks_mu_);
  std::function<void(const ClientEvent&)> on_event_
      ABSL_GUARDED_BY(callbacks_mu_);

  // Used only on the I/O thread, apart from stats() and connected().
  std::unique_ptr<ClientCore> core_;
  std::thread thread_;
  std::thread::id io_thread_id_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_CLIENT_H_
