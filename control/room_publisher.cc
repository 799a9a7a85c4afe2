#include "control/room_publisher.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/room_name.h"
#include "common/random_id.h"
#include "control/request_validation.h"

namespace switchboard::control {

using switchboard::bus::v1::Publication;
using switchboard::client::v1::Payload;

namespace {

void SetNow(google::protobuf::Timestamp* ts) {
  const int64_t ns = absl::ToUnixNanos(absl::Now());
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

}  // namespace

RoomPublisher::RoomPublisher(fanout::BusPublisher* bus, size_t max_payload_bytes,
                             absl::Duration ack_wait)
    : bus_(bus), max_payload_bytes_(max_payload_bytes), ack_wait_(ack_wait) {}

absl::Status RoomPublisher::ValidateMessageId(absl::string_view id) {
  return ::switchboard::control::ValidateMessageId(id);
}

absl::Status RoomPublisher::ValidatePayload(const Payload& payload) const {
  return ::switchboard::control::ValidatePayload(payload, max_payload_bytes_);
}

Publication RoomPublisher::MakePublication(absl::string_view room, const std::string& message_id,
                                           const Payload& payload) {
  Publication publication;
  publication.set_room(std::string(room));
  publication.set_message_id(message_id);
  publication.mutable_sender();  // empty sender: the control plane
  SetNow(publication.mutable_time());
  *publication.mutable_payload() = payload;
  return publication;
}

absl::StatusOr<v1::PublishResponse> RoomPublisher::PublishOne(absl::string_view room,
                                                              const std::string& message_id,
                                                              const Payload& payload) const {
  const Publication publication = MakePublication(room, message_id, payload);
  v1::PublishResponse response;
  response.set_message_id(message_id);
  if (IsEphemeralRoom(room)) {
    if (absl::Status s = bus_->PublishEphemeral(publication); !s.ok()) return s;
    return response;
  }
  auto ack = bus_->PublishPersistedSync(publication);
  if (!ack.ok()) return ack.status();
  response.set_offset(ack->offset);
  response.set_duplicate(ack->duplicate);
  return response;
}

absl::StatusOr<v1::PublishResponse> RoomPublisher::Publish(const v1::PublishRequest& request) const {
  if (absl::Status s = ValidatePublish(request, max_payload_bytes_); !s.ok()) return s;
  const std::string message_id = request.message_id().empty() ? RandomId() : request.message_id();
  return PublishOne(request.room(), message_id, request.payload());
}

absl::Status RoomPublisher::Broadcast(const v1::BroadcastRequest& request,
                                      v1::BroadcastResponse* response) const {
  if (absl::Status s = ValidateBroadcast(request, max_payload_bytes_); !s.ok()) return s;
  const std::string message_id = request.message_id().empty() ? RandomId() : request.message_id();
  // Persisted rooms are published concurrently and their acks gathered; the
  // state is shared with the callbacks so a late ack never writes into a
  // finished call. The dedupe key includes the room, so one id serves all.
  struct Gathered {
    absl::Mutex mu;
    std::vector<absl::StatusOr<fanout::PublishAck>> acks ABSL_GUARDED_BY(mu);
    int outstanding ABSL_GUARDED_BY(mu) = 0;
    bool AllAcked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return outstanding == 0; }
  };
  auto gathered = std::make_shared<Gathered>();
  const int n = request.rooms_size();
  {
    absl::MutexLock lock(&gathered->mu);
    gathered->acks.assign(n, absl::UnknownError("not published"));
  }
  std::vector<bool> persisted(n, false);
  for (int i = 0; i < n; ++i) {
    const std::string& room = request.rooms(i);
    v1::BroadcastResult* result = response->add_results();
    result->set_room(room);
    if (absl::Status s = ValidateRoomArgument(room); !s.ok()) {
      result->set_error(s.ToString());
      continue;
    }
    Publication publication = MakePublication(room, message_id, request.payload());
    if (IsEphemeralRoom(room)) {
      absl::Status s = bus_->PublishEphemeral(publication);
      if (s.ok()) {
        result->mutable_ack()->set_message_id(message_id);
      } else {
        result->set_error(s.ToString());
      }
      continue;
    }
    persisted[i] = true;
    {
      absl::MutexLock lock(&gathered->mu);
      ++gathered->outstanding;
    }
    bus_->PublishPersisted(publication, [gathered, i](absl::StatusOr<fanout::PublishAck> ack) {
      absl::MutexLock lock(&gathered->mu);
      gathered->acks[i] = std::move(ack);
      --gathered->outstanding;
    });
  }

  absl::MutexLock lock(&gathered->mu);
  // NATS.c times every ack out by itself; the margin only guards against a bug.
  gathered->mu.AwaitWithTimeout(absl::Condition(gathered.get(), &Gathered::AllAcked), ack_wait_);
  for (int i = 0; i < n; ++i) {
    if (!persisted[i]) continue;
    v1::BroadcastResult* result = response->mutable_results(i);
    const absl::StatusOr<fanout::PublishAck>& ack = gathered->acks[i];
    if (!ack.ok()) {
      result->set_error(ack.status().ToString());
      continue;
    }
    result->mutable_ack()->set_offset(ack->offset);
    result->mutable_ack()->set_message_id(message_id);
    result->mutable_ack()->set_duplicate(ack->duplicate);
  }
  return absl::OkStatus();
}

}  // namespace switchboard::control
