#ifndef SWITCHBOARD_FANOUT_BUS_PUBLISHER_H_
#define SWITCHBOARD_FANOUT_BUS_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::fanout {

// What JetStream answered to a persisted publish.
struct PublishAck {
  // The message's offset (stream sequence).
  uint64_t offset = 0;
  // True when the message id was already stored within the dedupe window: the
  // offset is the original's and nothing new was stored or delivered.
  bool duplicate = false;
};

// Publishes Publications onto the bus. Persisted rooms go to JetStream
// ("<prefix>.pub.<room>", acked with an offset, deduplicated by
// Nats-Msg-Id); ephemeral traffic goes to core NATS ("<prefix>.eph.<room>",
// at-most-once). While NATS is unreachable every publish fails at once with
// kUnavailable: nothing is buffered, so nothing is silently dropped later.
// Thread-safe.
class BusPublisher {
 public:
  // Called exactly once per publish, on a NATS.c thread (or the caller's
  // thread when the publish fails before reaching NATS). Must not block.
  using AckCallback = std::function<void(absl::StatusOr<PublishAck>)>;

  static absl::StatusOr<std::unique_ptr<BusPublisher>> Create(NatsConnection* nats,
                                                              Subjects subjects,
                                                              absl::Duration ack_timeout);
  ~BusPublisher();

  // The dedupe key stored as Nats-Msg-Id: room, sender user and message id,
  // so that two users (or rooms) can never suppress each other's messages.
  static std::string DedupeKey(const switchboard::bus::v1::Publication& publication);

  // Stores `publication` (room and message_id must be set and valid) in the
  // room's stream; `done` gets the offset once JetStream acked, or kUnavailable
  // / kDeadlineExceeded (safe to retry with the same message id).
  void PublishPersisted(const switchboard::bus::v1::Publication& publication, AckCallback done);

  // The same, blocking until acked (for the control plane's RPC threads).
  absl::StatusOr<PublishAck> PublishPersistedSync(
      const switchboard::bus::v1::Publication& publication);

  // Sends `publication` to the room's ephemeral subject (core NATS).
  absl::Status PublishEphemeral(const switchboard::bus::v1::Publication& publication);

 private:
  BusPublisher(NatsConnection* nats, Subjects subjects, absl::Duration ack_timeout);
  static void OnAck(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure);

  NatsConnection* nats_;
  Subjects subjects_;
  absl::Duration ack_timeout_;
  // A JetStream context of our own: its async-ack handler is ours.
  jsCtx* js_ = nullptr;
  absl::Mutex mu_;
  // In-flight publishes by message object (unique while the library holds it).
  absl::flat_hash_map<const natsMsg*, AckCallback> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_BUS_PUBLISHER_H_
