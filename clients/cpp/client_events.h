#ifndef SWITCHBOARD_CLIENTS_CPP_CLIENT_EVENTS_H_
#define SWITCHBOARD_CLIENTS_CPP_CLIENT_EVENTS_H_

// Plain data a Client reports besides replies: close information, counters,
// connection lifecycle events and publishes of unknown fate.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// How one WebSocket connection ended.
struct CloseInfo {
  // The close code of the close frame received from the server; the client's
  // own code when the client closed and the server sent none back; 1006
  // (kCloseCodeAbnormal) when the connection broke without a close frame.
  uint16_t code = 0;
  std::string reason;
  // The client started the closing handshake (Client::Close, shutdown).
  bool by_client = false;
};

// Counters since the Client was created. Read from any thread.
struct Stats {
  // Room messages handed to the application (after duplicate suppression).
  uint64_t messages = 0;
  // Room messages dropped because their offset was <= the last one seen.
  uint64_t duplicates_dropped = 0;
  // Successful reconnects (each one a new Welcome after a drop).
  uint64_t reconnects = 0;
  // Server frames that could not be decoded, or came in the wrong frame type
  // (text on a protobuf session, binary on a JSON one); they are skipped.
  uint64_t decode_errors = 0;
};

// The connection dropped or was closed by the server.
struct Disconnected {
  CloseInfo close;
  bool will_reconnect = false;
  // When will_reconnect: the delay before the first attempt.
  absl::Duration reconnect_in;
};

// A reconnect attempt failed.
struct ReconnectFailed {
  absl::Status status;
  // 1 for the first failed attempt after a drop.
  int attempt = 0;
  // False when the client gave up (non-retryable error or attempts exhausted).
  bool will_retry = false;
};

// A new session is established after a drop; rejoins follow.
struct Reconnected {
  switchboard::client::v1::Welcome welcome;
};

// The outcome of rejoining one room after a reconnect. On error the room is no
// longer tracked (the application may Join again).
struct Rejoined {
  std::string room;
  absl::Status status;
  // The offset the rejoin resumed after; nullopt for a fresh join (ephemeral
  // rooms, or nothing delivered yet from a history join).
  std::optional<uint64_t> since_offset;
  // With since_offset: false when the gateway no longer held every message
  // after it (the application should refetch its state).
  bool recovered = false;
  // The room's latest offset at rejoin time (Joined.offset).
  uint64_t offset = 0;
};

// A publish the client gave up on instead of resending it: it was sent, never
// acked, and its first send is older than the stream's dedupe window less a
// margin (see ResendLimit in outbox.h), so resending it under the same message
// id could store it a second time. It may or may not be stored: look for
// `message_id` in the room's history (messages carry their message_id), and
// publish it again under a new id if it is not there, or drop it. Its publish
// has already completed with `status` (IsFateUnknown). docs/delivery.md,
// "Fate unknown".
struct FateUnknown {
  std::string room;
  std::string message_id;
  switchboard::client::v1::Payload payload;
  // Wall-clock time of its first send.
  absl::Time first_sent;
  absl::Status status;
};

// How a publish given up as FateUnknown completes: kAborted, message starting
// with this prefix (not kDeadlineExceeded: that is a publish that timed out
// after request_timeout, which may be retried under the same id).
inline constexpr absl::string_view kFateUnknownPrefix = "fate unknown:";

inline bool IsFateUnknown(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         absl::StartsWith(status.message(), kFateUnknownPrefix);
}

// What Client::OnEvent / NextEvent report: every pushed server frame that is
// not a room message (ephemeral, presence, going-away, left, pushed errors,
// ...), plus the connection lifecycle and publishes given up (FateUnknown).
using ClientEvent =
    std::variant<switchboard::client::v1::ServerFrame, Disconnected,
                 ReconnectFailed, Reconnected, Rejoined, FateUnknown>;

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_CLIENT_EVENTS_H_
