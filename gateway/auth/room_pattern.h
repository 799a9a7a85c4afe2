#ifndef SWITCHBOARD_GATEWAY_AUTH_ROOM_PATTERN_H_
#define SWITCHBOARD_GATEWAY_AUTH_ROOM_PATTERN_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace switchboard::gateway::auth {

// Room patterns are the globs of the token claims `rooms` and `publish`: room-name
// characters (see common/room_name.h) plus `*`, which matches any run of
// characters, including none. "chat:*", "*", "team-*:general" and the exact
// name "lobby" are patterns. No other wildcard exists, so a pattern can never
// mean more than its author could read from it.

// OK when `pattern` is 1-128 bytes of room-name characters and `*`; otherwise
// InvalidArgument with the reason.
absl::Status ValidateRoomPattern(absl::string_view pattern);

// True when `room` matches the whole of `pattern`. Both are plain byte strings;
// the caller validates them (an invalid pattern simply matches what its bytes
// say). Greedy leftmost placement of the literal pieces between stars, which is
// exact for `*`-only globs and never backtracks: at most |pattern| x |room| byte
// comparisons (128 x 128 for valid inputs), no allocation. Thread-safe.
bool MatchRoomPattern(absl::string_view pattern, absl::string_view room);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_ROOM_PATTERN_H_
