#ifndef SWITCHBOARD_CONTROL_ROOM_PUBLISHER_H_
#define SWITCHBOARD_CONTROL_ROOM_PUBLISHER_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fanout/bus_publisher.h"
#include "proto/switchboard/client/v1/client.pb.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::control {

// Longest message id (the client protocol's limit too).
inline constexpr size_t kMaxMessageIdBytes = 64;

// Publish and Broadcast of the control plane: validates the request, fills in
// a Publication (sender empty = the control plane, time = now) and hands it to
// the bus. Persisted rooms are acked by JetStream with an offset (and
// deduplicated by message id); rooms named "eph:..." go to core NATS with
// offset 0. Thread-safe; calls block until acked.
class RoomPublisher {
 public:
  // `bus` must outlive this object. Payloads larger than `max_payload_bytes`
  // (serialized) are refused. A Broadcast waits at most `ack_wait` for its
  // acks (the publisher's ack timeout plus a margin).
  RoomPublisher(fanout::BusPublisher* bus, size_t max_payload_bytes, absl::Duration ack_wait);

  absl::StatusOr<switchboard::control::v1::PublishResponse> Publish(
      const switchboard::control::v1::PublishRequest& request) const;

  // Per-room outcomes go into the response; only a request-wide problem (no
  // rooms, bad payload or message id) is an error.
  absl::Status Broadcast(const switchboard::control::v1::BroadcastRequest& request,
                         switchboard::control::v1::BroadcastResponse* response) const;

  // InvalidArgument unless `id` is 1-64 printable ASCII bytes without '|'
  // (the dedupe key's separator) or whitespace.
  static absl::Status ValidateMessageId(absl::string_view id);

 private:
  static switchboard::bus::v1::Publication MakePublication(
      absl::string_view room, const std::string& message_id,
      const switchboard::client::v1::Payload& payload);
  absl::Status ValidatePayload(const switchboard::client::v1::Payload& payload) const;
  absl::StatusOr<switchboard::control::v1::PublishResponse> PublishOne(
      absl::string_view room, const std::string& message_id,
      const switchboard::client::v1::Payload& payload) const;

  fanout::BusPublisher* bus_;
  size_t max_payload_bytes_;
  absl::Duration ack_wait_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_ROOM_PUBLISHER_H_
