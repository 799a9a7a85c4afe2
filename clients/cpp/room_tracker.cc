#include "clients/cpp/room_tracker.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::Join;
using ::switchboard::client::v1::Joined;
using ::switchboard::client::v1::Message;

// Same rule as common/room_name.h; repeated here so the client library does
// not depend on gateway-side code.
constexpr absl::string_view kEphemeralPrefix = "eph:";

}  // namespace

bool RoomTracker::OnJoinSent(const Join& join) {
  auto it = rooms_.find(join.room());
  if (it != rooms_.end() && it->second.joined) return false;
  Room room;
  room.join = join;
  room.ephemeral = absl::StartsWith(join.room(), kEphemeralPrefix);
  if (join.has_since_offset()) room.last_offset = join.since_offset();
  rooms_[join.room()] = std::move(room);
  return true;
}

void RoomTracker::OnJoined(const Joined& joined) {
  auto it = rooms_.find(joined.room());
  if (it == rooms_.end()) return;
  Room& room = it->second;
  room.joined = true;
  if (joined.kind() == v1::ROOM_KIND_EPHEMERAL) room.ephemeral = true;
  if (room.ephemeral) {
    room.last_offset.reset();
    return;
  }
  // A live-only join expects nothing at or below Joined.offset, so that is
  // where it resumes even if no message arrives before a drop. A history join
  // gets older messages after Joined: its position comes from them.
  if (!room.last_offset.has_value() && room.join.history_limit() == 0) {
    room.last_offset = joined.offset();
  }
}

void RoomTracker::Forget(absl::string_view room) { rooms_.erase(room); }

bool RoomTracker::Accept(const Message& message) {
  if (message.offset() == 0) return true;
  auto it = rooms_.find(message.room());
  if (it == rooms_.end() || it->second.ephemeral) return true;
  std::optional<uint64_t>& last = it->second.last_offset;
  if (last.has_value() && message.offset() <= *last) return false;
  last = message.offset();
  return true;
}

std::vector<Join> RoomTracker::RejoinFrames() const {
  std::vector<Join> joins;
  for (const auto& [name, room] : rooms_) {
    if (!room.joined) continue;
    Join join = room.join;
    if (!room.ephemeral && room.last_offset.has_value()) {
      join.set_since_offset(*room.last_offset);
      join.set_history_limit(0);
    } else {
      join.clear_position();
    }
    joins.push_back(std::move(join));
  }
  // Deterministic order: the same rooms rejoin in the same order every time.
  std::sort(joins.begin(), joins.end(),
            [](const Join& a, const Join& b) { return a.room() < b.room(); });
  return joins;
}

std::optional<uint64_t> RoomTracker::LastOffset(absl::string_view room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return std::nullopt;
  return it->second.last_offset;
}

bool RoomTracker::IsJoined(absl::string_view room) const {
  auto it = rooms_.find(room);
  return it != rooms_.end() && it->second.joined;
}

std::vector<std::string> RoomTracker::JoinedRooms() const {
  std::vector<std::string> names;
  for (const auto& [name, room] : rooms_) {
    if (room.joined) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace client
}  // namespace switchboard
