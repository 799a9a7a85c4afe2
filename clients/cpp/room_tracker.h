#ifndef SWITCHBOARD_CLIENTS_CPP_ROOM_TRACKER_H_
#define SWITCHBOARD_CLIENTS_CPP_ROOM_TRACKER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// Resume bookkeeping for the rooms a client is in: per room, the highest
// offset delivered so far. It suppresses duplicates (offset <= last seen, e.g.
// a replay overlapping live delivery after a reconnect) and says where each
// room resumes after a reconnect.
//
// Rooms are tracked from the moment a Join is sent, so that replayed messages
// following Joined are already counted. Offset 0 (ephemeral rooms) is never
// tracked nor suppressed, nor are messages of rooms that are not tracked.
//
// Not thread-safe: owned by the client's I/O thread.
class RoomTracker {
 public:
  // A Join for `join.room()` goes out. Starts tracking the room (resuming after
  // join.since_offset() if set) unless it is already joined, in which case the
  // original join stays in effect, as on the gateway. Returns true when this
  // call started tracking the room.
  bool OnJoinSent(const switchboard::client::v1::Join& join);

  // The gateway confirmed a join or rejoin.
  void OnJoined(const switchboard::client::v1::Joined& joined);

  // Stops tracking `room` (Leave sent, Left pushed, join failed).
  void Forget(absl::string_view room);

  // True when `message` is new: hand it to the application. False for a
  // duplicate, which the caller drops.
  bool Accept(const switchboard::client::v1::Message& message);

  // One Join per joined room to send after a reconnect: persisted rooms resume
  // after their last offset seen (history_limit cleared); ephemeral rooms, and
  // history joins that delivered nothing yet, repeat their original Join.
  std::vector<switchboard::client::v1::Join> RejoinFrames() const;

  // The offset `room` would resume after; nullopt when untracked or unknown.
  std::optional<uint64_t> LastOffset(absl::string_view room) const;

  bool IsJoined(absl::string_view room) const;
  std::vector<std::string> JoinedRooms() const;

 private:
  struct Room {
    // The Join as the application asked for it (room, presence, meta, ...).
    switchboard::client::v1::Join join;
    bool joined = false;
    bool ephemeral = false;
    // Highest offset delivered, or the resume baseline; see OnJoined.
    std::optional<uint64_t> last_offset;
  };

  absl::flat_hash_map<std::string, Room> rooms_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_ROOM_TRACKER_H_
