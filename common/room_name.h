#ifndef SWITCHBOARD_COMMON_ROOM_NAME_H_
#define SWITCHBOARD_COMMON_ROOM_NAME_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace switchboard {

// Longest room name, in bytes.
inline constexpr size_t kMaxRoomNameBytes = 128;

// Rooms whose name starts with this prefix are ephemeral (core NATS only).
inline constexpr char kEphemeralRoomPrefix[] = "eph:";

// Checks that `room` maps to exactly one NATS subject token: 1-128 bytes of
// [A-Za-z0-9_-:@=+]. Dots, spaces, wildcards ("*", ">") and control or
// non-ASCII bytes are refused, so a room can never alias another room or a
// wildcard subscription. Returns InvalidArgument with the reason.
absl::Status ValidateRoomName(absl::string_view room);

// True for names starting with kEphemeralRoomPrefix.
bool IsEphemeralRoom(absl::string_view room);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_ROOM_NAME_H_
