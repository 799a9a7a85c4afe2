#ifndef SWITCHBOARD_CONTROL_REQUEST_VALIDATION_H_
#define SWITCHBOARD_CONTROL_REQUEST_VALIDATION_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/switchboard/client/v1/client.pb.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::control {

// Checks of control API requests, done before any work or bus traffic. Each
// returns OK or InvalidArgument with a message for the caller (ASCII only:
// request bytes are C-escaped). Pure functions; any thread.

// User and connection ids come from tokens and gateways; bounded so a request
// cannot make every gateway parse megabytes.
inline constexpr size_t kMaxIdBytes = 256;
inline constexpr size_t kMaxReasonBytes = 1024;
// The longest KickUser.ban_for: fanout::BanStore::kMaxBan, the bans bucket's
// max age (request_validation_test checks that the two agree).
inline constexpr absl::Duration kMaxBanFor = absl::Hours(24 * 366);
// Bounds the work one Broadcast call can cause.
inline constexpr int kMaxBroadcastRooms = 1000;

// A room name field: ValidateRoomName's reason, prefixed with the escaped name.
absl::Status ValidateRoomArgument(absl::string_view room);

// 1-kMaxMessageIdBytes (room_publisher.h) printable ASCII bytes without '|'
// (the dedupe key's separator) or whitespace.
absl::Status ValidateMessageId(absl::string_view id);

// A payload is set (binary, text or json) and serializes to at most
// `max_payload_bytes`.
absl::Status ValidatePayload(const switchboard::client::v1::Payload& payload,
                             size_t max_payload_bytes);

// Room, payload and, when given, message id.
absl::Status ValidatePublish(const switchboard::control::v1::PublishRequest& request,
                             size_t max_payload_bytes);

// The request-wide part: 1-kMaxBroadcastRooms rooms, payload, message id.
// Each room is the caller's to check with ValidateRoomArgument, since a bad
// room fails only its own result.
absl::Status ValidateBroadcast(const switchboard::control::v1::BroadcastRequest& request,
                               size_t max_payload_bytes);

// Room and, when given, a page token that DecodePresencePageToken accepts.
absl::Status ValidateGetPresence(const switchboard::control::v1::GetPresenceRequest& request);
absl::Status ValidateGetPresenceStats(
    const switchboard::control::v1::GetPresenceStatsRequest& request);

// A persisted room (ephemeral rooms have no history).
absl::Status ValidateGetHistory(const switchboard::control::v1::GetHistoryRequest& request);

// User id, reason, and a ban that is not negative.
absl::Status ValidateKickUser(const switchboard::control::v1::KickUserRequest& request);
absl::Status ValidateDisconnect(const switchboard::control::v1::DisconnectRequest& request);
// User id, room; since_offset only for persisted rooms.
absl::Status ValidateSubscribe(const switchboard::control::v1::SubscribeRequest& request);
absl::Status ValidateUnsubscribe(const switchboard::control::v1::UnsubscribeRequest& request);
// Room; since_offset only for persisted rooms.
absl::Status ValidateWatch(const switchboard::control::v1::WatchRequest& request);

// Where a presence page starts: after this (user_id, connection_id) key, the
// last one of the previous page.
struct PresencePageKey {
  std::string user_id;
  std::string connection_id;
};

// The opaque page token of `key`: web-safe base64 of a version byte and the
// key, so paging needs no server-side cursor.
std::string EncodePresencePageToken(const PresencePageKey& key);

// The key of a token made by EncodePresencePageToken; InvalidArgument for any
// other string.
absl::StatusOr<PresencePageKey> DecodePresencePageToken(absl::string_view token);

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_REQUEST_VALIDATION_H_
