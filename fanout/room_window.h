#ifndef SWITCHBOARD_FANOUT_ROOM_WINDOW_H_
#define SWITCHBOARD_FANOUT_ROOM_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "fanout/history_reader.h"

namespace switchboard::fanout {

// The recent messages of one persisted room, as a run known to be complete:
// every message of the room with offset in (prev, head] is in it, in order.
// Offsets are stream sequences shared by all rooms, so completeness cannot be
// read off the numbers; it comes from how the run is built:
//   - Append(m, prev) with the room's exact previous offset `prev` extends the
//     run when prev == head, and restarts it at m otherwise (a gap);
//   - Merge(after, read) takes a stream read of every message after `after`
//     (up to the stream's end at the time) and joins it to the run when the
//     two overlap or touch.
// Bounded: the oldest messages go first past `max_messages` or
// `max_payload_bytes` of payload.
//
// Not thread-safe (the hub guards each room's window with the room's mutex).
class RoomWindow {
 public:
  RoomWindow(size_t max_messages, size_t max_payload_bytes)
      : max_messages_(max_messages), max_bytes_(max_payload_bytes) {}

  // A message the hub dispatched; `prev` is the room's offset before it.
  void Append(std::shared_ptr<const StoredMessage> message, uint64_t prev);
  // A dispatched message whose previous offset is not known: the run cannot
  // go on from it, so the window empties until the next Append.
  void Invalidate();
  // `read` holds every message of the room after `after`, up to the stream's
  // end when it was read (which was after the room was subscribed).
  void Merge(uint64_t after, const std::vector<StoredMessage>& read);

  struct Slice {
    std::vector<StoredMessage> messages;
    uint64_t head = 0;
  };
  // The messages after `after` when the run covers it (prev <= after <= head):
  // at most `limit`, stopping after the message that reaches `max_bytes` of
  // payload. nullopt otherwise.
  std::optional<Slice> Read(uint64_t after, size_t limit, size_t max_bytes) const;

  bool valid() const { return valid_; }
  uint64_t prev() const { return prev_; }
  uint64_t head() const { return messages_.empty() ? prev_ : messages_.back()->offset; }
  size_t size() const { return messages_.size(); }

 private:
  void Trim();
  static size_t Bytes(const StoredMessage& m) { return m.publication.payload().ByteSizeLong(); }

  const size_t max_messages_;
  const size_t max_bytes_;
  bool valid_ = false;
  uint64_t prev_ = 0;  // the run starts after this offset
  std::deque<std::shared_ptr<const StoredMessage>> messages_;
  size_t bytes_ = 0;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_ROOM_WINDOW_H_
