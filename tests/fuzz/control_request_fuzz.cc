// libFuzzer target for the control API's request validation
// (control/request_validation.h): what a backend or operator can put in a
// gRPC request before any work or bus traffic happens.
//
// Input: byte 0 picks the request (bits 1-7 modulo the number of request
// types, in the order of kTypes below) and the encoding (bit 0: 0 = protobuf
// binary, as gRPC delivers it; 1 = protobuf JSON); the rest is the request.
// Bytes that do not parse as that request are dropped, as gRPC would.
// Checked for every parsed request:
// - the validator answers OK or InvalidArgument, never anything else;
// - a refusal's message is non-empty printable ASCII of bounded size (it goes
//   back in the grpc-message trailer; request bytes must come out escaped);
// - an accepted request satisfies what the code after validation relies on,
//   checked against common/room_name.h and the documented limits: rooms are
//   valid, ids and reasons are within bounds, a page token decodes and pages
//   a presence list without error.
// Any violation aborts, so libFuzzer keeps the input.

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/room_name.h"
#include "control/presence_page.h"
#include "control/request_validation.h"
#include "proto/switchboard/bus/v1/bus.pb.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace {

namespace v1 = switchboard::control::v1;
namespace control = switchboard::control;
using google::protobuf::Message;

// control.proto: "Idempotency key (1-64 bytes)".
constexpr size_t kDocumentedMessageIdBytes = 64;
// Small enough that the fuzzer reaches both sides of the payload limit.
constexpr size_t kMaxPayloadBytes = 512;
// Longest refusal message: an escaped 128-byte room is at most 512 bytes.
constexpr size_t kMaxStatusMessageBytes = 1024;

[[noreturn]] void Fail(absl::string_view what, const Message& request,
                       const absl::Status& status) {
  std::fprintf(stderr, "control request check failed: %.*s\nrequest: %s %s\nstatus: %s\n",
               static_cast<int>(what.size()), what.data(), request.GetTypeName().c_str(),
               request.ShortDebugString().c_str(), status.ToString().c_str());
  std::abort();
}

void Require(bool ok, absl::string_view what, const Message& request, const absl::Status& status) {
  if (!ok) Fail(what, request, status);
}

bool RoomOk(absl::string_view room) { return switchboard::ValidateRoomName(room).ok(); }

bool MessageIdOk(absl::string_view id) {
  if (id.size() > kDocumentedMessageIdBytes) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~' || c == '|') return false;
  }
  return true;  // empty: the publisher generates one
}

bool IdOk(absl::string_view id) { return !id.empty() && id.size() <= control::kMaxIdBytes; }

bool PayloadOk(const switchboard::client::v1::Payload& payload) {
  return payload.data_case() != switchboard::client::v1::Payload::DATA_NOT_SET &&
         payload.ByteSizeLong() <= kMaxPayloadBytes;
}

// A presence list with keys on both sides of any token's key.
std::vector<switchboard::bus::v1::PresenceEntry> SamplePresence() {
  std::vector<switchboard::bus::v1::PresenceEntry> entries;
  for (const char* user : {"", "alice", "bob", "\x7f", "zz"}) {
    for (const char* connection : {"c1", "c2"}) {
      switchboard::bus::v1::PresenceEntry entry;
      entry.set_gateway_id("gw");
      entry.mutable_info()->set_user_id(user);
      entry.mutable_info()->set_connection_id(connection);
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

void CheckPresencePaging(const v1::GetPresenceRequest& request, const absl::Status& status) {
  if (request.page_token().empty()) return;
  absl::StatusOr<control::PresencePageKey> key =
      control::DecodePresencePageToken(request.page_token());
  Require(key.ok(), "accepted page token does not decode", request, status);
  // The token of the decoded key stands for the same key.
  absl::StatusOr<control::PresencePageKey> again =
      control::DecodePresencePageToken(control::EncodePresencePageToken(*key));
  Require(again.ok() && again->user_id == key->user_id &&
              again->connection_id == key->connection_id,
          "page token of a decoded key decodes differently", request, status);
  v1::GetPresenceResponse page;
  const absl::Status paged =
      control::PagePresence(SamplePresence(), request.page_size(), request.page_token(), &page);
  Require(paged.ok(), "accepted page token fails PagePresence", request, paged);
  for (const auto& member : page.members()) {
    Require(std::make_pair(member.info().user_id(), member.info().connection_id()) >
                std::make_pair(key->user_id, key->connection_id),
            "a page holds an entry at or before its token", request, status);
  }
}

void CheckRefusal(const Message& request, const absl::Status& status) {
  Require(status.code() == absl::StatusCode::kInvalidArgument,
          "validation failed with a code other than InvalidArgument", request, status);
  const absl::string_view message = status.message();
  Require(!message.empty() && message.size() <= kMaxStatusMessageBytes,
          "refusal message is empty or too long", request, status);
  for (char c : message) {
    Require(c >= ' ' && c <= '~', "refusal message is not printable ASCII", request, status);
  }
}

// Validates `request` and, when accepted, checks `accepted(request)`.
template <typename Request, typename Validate, typename Accepted>
void Run(const Request& request, Validate validate, Accepted accepted) {
  const absl::Status status = validate(request);
  if (!status.ok()) return CheckRefusal(request, status);
  Require(accepted(request, status), "accepted a request that breaks its contract", request,
          status);
}

// Parses `bytes` as a Request in the input's encoding, then runs `check`.
template <typename Request, typename Check>
void Parsed(absl::string_view bytes, bool json, Check check) {
  Request request;
  if (json) {
    google::protobuf::util::JsonParseOptions options;
    if (!google::protobuf::util::JsonStringToMessage(std::string(bytes), &request, options).ok()) {
      return;
    }
  } else if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return;
  }
  check(request);
}

void CheckPublish(const v1::PublishRequest& r) {
  Run(
      r, [](const auto& q) { return control::ValidatePublish(q, kMaxPayloadBytes); },
      [](const auto& q, const absl::Status&) {
        return RoomOk(q.room()) && PayloadOk(q.payload()) && MessageIdOk(q.message_id());
      });
}

void CheckBroadcast(const v1::BroadcastRequest& r) {
  Run(
      r, [](const auto& q) { return control::ValidateBroadcast(q, kMaxPayloadBytes); },
      [](const auto& q, const absl::Status&) {
        return !q.rooms().empty() && q.rooms_size() <= control::kMaxBroadcastRooms &&
               PayloadOk(q.payload()) && MessageIdOk(q.message_id());
      });
  // The per-room part, as RoomPublisher::Broadcast does it.
  for (const std::string& room : r.rooms()) {
    const absl::Status status = control::ValidateRoomArgument(room);
    if (!status.ok()) {
      CheckRefusal(r, status);
    } else {
      Require(RoomOk(room), "accepted a bad broadcast room", r, status);
    }
  }
}

void CheckGetPresence(const v1::GetPresenceRequest& r) {
  Run(r, control::ValidateGetPresence, [](const auto& q, const absl::Status& status) {
    CheckPresencePaging(q, status);
    return RoomOk(q.room());
  });
}

void CheckGetPresenceStats(const v1::GetPresenceStatsRequest& r) {
  Run(r, control::ValidateGetPresenceStats,
      [](const auto& q, const absl::Status&) { return RoomOk(q.room()); });
}

void CheckGetHistory(const v1::GetHistoryRequest& r) {
  Run(r, control::ValidateGetHistory, [](const auto& q, const absl::Status&) {
    return RoomOk(q.room()) && !switchboard::IsEphemeralRoom(q.room());
  });
}

void CheckKickUser(const v1::KickUserRequest& r) {
  Run(r, control::ValidateKickUser, [](const auto& q, const absl::Status&) {
    // A valid Duration (both parts >= 0, nanos below a second) of at most
    // kMaxBanFor's whole seconds.
    const bool ban_ok =
        !q.has_ban_for() ||
        (q.ban_for().seconds() >= 0 && q.ban_for().nanos() >= 0 &&
         q.ban_for().nanos() < 1000000000 &&
         q.ban_for().seconds() <= absl::ToInt64Seconds(control::kMaxBanFor));
    return IdOk(q.user_id()) && q.reason().size() <= control::kMaxReasonBytes && ban_ok;
  });
}

void CheckDisconnect(const v1::DisconnectRequest& r) {
  Run(r, control::ValidateDisconnect, [](const auto& q, const absl::Status&) {
    return IdOk(q.connection_id()) && q.reason().size() <= control::kMaxReasonBytes;
  });
}

void CheckSubscribe(const v1::SubscribeRequest& r) {
  Run(r, control::ValidateSubscribe, [](const auto& q, const absl::Status&) {
    return IdOk(q.user_id()) && RoomOk(q.room()) &&
           !(q.has_since_offset() && switchboard::IsEphemeralRoom(q.room()));
  });
}

void CheckUnsubscribe(const v1::UnsubscribeRequest& r) {
  Run(r, control::ValidateUnsubscribe, [](const auto& q, const absl::Status&) {
    return IdOk(q.user_id()) && RoomOk(q.room()) && q.reason().size() <= control::kMaxReasonBytes;
  });
}

void CheckWatch(const v1::WatchRequest& r) {
  Run(r, control::ValidateWatch, [](const auto& q, const absl::Status&) {
    return RoomOk(q.room()) && !(q.has_since_offset() && switchboard::IsEphemeralRoom(q.room()));
  });
}

using Checker = void (*)(absl::string_view bytes, bool json);

// The request types, in the order byte 0 selects them (make_corpus.py too).
constexpr Checker kTypes[] = {
    [](absl::string_view b, bool j) { Parsed<v1::PublishRequest>(b, j, CheckPublish); },
    [](absl::string_view b, bool j) { Parsed<v1::BroadcastRequest>(b, j, CheckBroadcast); },
    [](absl::string_view b, bool j) { Parsed<v1::GetPresenceRequest>(b, j, CheckGetPresence); },
    [](absl::string_view b, bool j) {
      Parsed<v1::GetPresenceStatsRequest>(b, j, CheckGetPresenceStats);
    },
    [](absl::string_view b, bool j) { Parsed<v1::GetHistoryRequest>(b, j, CheckGetHistory); },
    [](absl::string_view b, bool j) { Parsed<v1::KickUserRequest>(b, j, CheckKickUser); },
    [](absl::string_view b, bool j) { Parsed<v1::DisconnectRequest>(b, j, CheckDisconnect); },
    [](absl::string_view b, bool j) { Parsed<v1::SubscribeRequest>(b, j, CheckSubscribe); },
    [](absl::string_view b, bool j) { Parsed<v1::UnsubscribeRequest>(b, j, CheckUnsubscribe); },
    [](absl::string_view b, bool j) { Parsed<v1::WatchRequest>(b, j, CheckWatch); },
};

// Protobuf logs every string field that is not UTF-8; at fuzzing speed that
// is noise (such requests fail to parse, as they do in gRPC).
void IgnoreProtobufLog(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(&IgnoreProtobufLog);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  const Checker check = kTypes[(data[0] >> 1) % (sizeof(kTypes) / sizeof(kTypes[0]))];
  check(absl::string_view(reinterpret_cast<const char*>(data + 1), size - 1), json);
  return 0;
}
