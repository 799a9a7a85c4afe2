#ifndef SWITCHBOARD_FANOUT_ROOM_EVENT_H_
#define SWITCHBOARD_FANOUT_ROOM_EVENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gateway/codec/shared_frame.h"

namespace switchboard::fanout {

// One thing that happened in a room, already encoded for the wire, on its way
// from the hub to every worker with local members. Immutable once built and
// shared by all workers.
struct RoomEvent {
  enum class Kind : uint8_t {
    kPersisted,  // a message of a persisted room: offset/prev set, lossless
    kEphemeral,  // an ephemeral-room message or a typing/cursor/custom event: lossy
    kPresence,   // a presence join/leave: lossy, only to members that asked
  };
  std::string room;
  Kind kind = Kind::kPersisted;
  // Persisted only: this message's offset, and the offset of the previous
  // message of the same room (0 for its first). The hub delivers a room's
  // events gap-free: each event's prev is the offset of the one before.
  uint64_t offset = 0;
  uint64_t prev = 0;
  // When the origin published it, for the delivery-latency histogram.
  absl::Time origin_time;
  // The connection that sent it, if a client did: typing and cursor events are
  // not echoed to their sender.
  std::string sender_connection_id;
  gateway::EncodedFrames frames;
};

using RoomEventPtr = std::shared_ptr<const RoomEvent>;

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_ROOM_EVENT_H_
