#include "control/request_validation.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/proto_time.h"
#include "common/quote.h"
#include "common/room_name.h"

namespace switchboard::control {

using switchboard::client::v1::Payload;

namespace {

// kMaxMessageIdBytes of room_publisher.h (the client protocol's limit too),
// which cannot be included here: RoomPublisher depends on this library.
// request_validation_test checks that the two agree.
constexpr size_t kMessageIdLimit = 64;

// Version byte first, so the encoding can change without misreading old tokens.
constexpr char kTokenVersion = '1';
// Neither a user id from a JWT `sub` nor a connection id contains NUL in
// practice; if one did, the ordering would still be total, only less exact.
constexpr char kTokenSeparator = '\0';

absl::Status ValidateId(absl::string_view what, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", id.size(), " bytes; the limit is ", kMaxIdBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(absl::string_view reason) {
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason is ", reason.size(), " bytes; the limit is ", kMaxReasonBytes));
  }
  return absl::OkStatus();
}

// Empty means "generate one", which is always valid.
absl::Status ValidateOptionalMessageId(absl::string_view id) {
  return id.empty() ? absl::OkStatus() : ValidateMessageId(id);
}

}  // namespace

absl::Status ValidateRoomArgument(absl::string_view room) {
  absl::Status s = ValidateRoomName(room);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(
      absl::StrCat("room ", QuoteForError(room), ": ", s.message()));
}

absl::Status ValidateMessageId(absl::string_view id) {
  if (id.empty() || id.size() > kMessageIdLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("message_id must be 1-", kMessageIdLimit, " bytes"));
  }
  for (char c : id) {
    if (c <= ' ' || c > '~' || c == '|') {
      return absl::InvalidArgumentError(
          "message_id may hold printable ASCII only, without spaces or '|'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePayload(const Payload& payload, size_t max_payload_bytes) {
  if (payload.data_case() == Payload::DATA_NOT_SET) {
    return absl::InvalidArgumentError("payload is required (binary, text or json)");
  }
  const size_t size = payload.ByteSizeLong();
  if (size > max_payload_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload is ", size, " bytes; the limit is ", max_payload_bytes));
  }
  return absl::OkStatus();
}

absl::Status ValidatePublish(const v1::PublishRequest& request, size_t max_payload_bytes) {
  if (absl::Status s = ValidateRoomArgument(request.room()); !s.ok()) return s;
  if (absl::Status s = ValidatePayload(request.payload(), max_payload_bytes); !s.ok()) return s;
  return ValidateOptionalMessageId(request.message_id());
}

absl::Status ValidateBroadcast(const v1::BroadcastRequest& request, size_t max_payload_bytes) {
  if (request.rooms().empty()) return absl::InvalidArgumentError("rooms is empty");
  if (request.rooms_size() > kMaxBroadcastRooms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rooms has ", request.rooms_size(), " entries; the limit is ", kMaxBroadcastRooms));
  }
  if (absl::Status s = ValidatePayload(request.payload(), max_payload_bytes); !s.ok()) return s;
  return ValidateOptionalMessageId(request.message_id());
}

absl::Status ValidateGetPresence(const v1::GetPresenceRequest& request) {
  if (absl::Status s = ValidateRoomArgument(request.room()); !s.ok()) return s;
  if (request.page_token().empty()) return absl::OkStatus();
  return DecodePresencePageToken(request.page_token()).status();
}

absl::Status ValidateGetPresenceStats(const v1::GetPresenceStatsRequest& request) {
  return ValidateRoomArgument(request.room());
}

absl::Status ValidateGetHistory(const v1::GetHistoryRequest& request) {
  if (absl::Status s = ValidateRoomArgument(request.room()); !s.ok()) return s;
  if (IsEphemeralRoom(request.room())) {
    return absl::InvalidArgumentError("ephemeral rooms have no history");
  }
  return absl::OkStatus();
}

absl::Status ValidateKickUser(const v1::KickUserRequest& request) {
  if (absl::Status s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (absl::Status s = ValidateReason(request.reason()); !s.ok()) return s;
  if (request.has_ban_for()) {
    const google::protobuf::Duration& d = request.ban_for();
    if (d.seconds() < 0 || d.nanos() < 0) return absl::InvalidArgumentError("ban_for is negative");
    if (d.nanos() >= 1000000000) {
      return absl::InvalidArgumentError("ban_for.nanos must be below 1,000,000,000");
    }
    // Also keeps absurd values (up to 2^63 s) away from time arithmetic.
    if (d.seconds() > absl::ToInt64Seconds(kMaxBanFor)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ban_for is ", d.seconds(), " s; the longest ban is ", absl::ToInt64Seconds(kMaxBanFor),
          " s (366 days)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDisconnect(const v1::DisconnectRequest& request) {
  if (absl::Status s = ValidateId("connection_id", request.connection_id()); !s.ok()) return s;
  return ValidateReason(request.reason());
}

absl::Status ValidateSubscribe(const v1::SubscribeRequest& request) {
  if (absl::Status s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (absl::Status s = ValidateRoomArgument(request.room()); !s.ok()) return s;
  if (request.has_since_offset() && IsEphemeralRoom(request.room())) {
    return absl::InvalidArgumentError("since_offset: ephemeral rooms have no offsets");
  }
  return absl::OkStatus();
}

absl::Status ValidateUnsubscribe(const v1::UnsubscribeRequest& request) {
  if (absl::Status s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (absl::Status s = ValidateRoomArgument(request.room()); !s.ok()) return s;
  return ValidateReason(request.reason());
}

absl::Status ValidateWatch(const v1::WatchRequest& request) {
  if (absl::Status s = ValidateRoomArgument(request.room()); !s.ok()) return s;
  if (request.has_since_offset() && IsEphemeralRoom(request.room())) {
    return absl::InvalidArgumentError("since_offset: ephemeral rooms have no offsets");
  }
  return absl::OkStatus();
}

std::string EncodePresencePageToken(const PresencePageKey& key) {
  return absl::WebSafeBase64Escape(absl::StrCat(std::string(1, kTokenVersion), key.user_id,
                                                std::string(1, kTokenSeparator),
                                                key.connection_id));
}

absl::StatusOr<PresencePageKey> DecodePresencePageToken(absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.empty() || raw[0] != kTokenVersion) {
    return absl::InvalidArgumentError("page_token is not one this server issued");
  }
  const size_t sep = raw.find(kTokenSeparator, 1);
  if (sep == std::string::npos) {
    return absl::InvalidArgumentError("page_token is not one this server issued");
  }
  PresencePageKey key;
  key.user_id = raw.substr(1, sep - 1);
  key.connection_id = raw.substr(sep + 1);
  return key;
}

}  // namespace switchboard::control
