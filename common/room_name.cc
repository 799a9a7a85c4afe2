#include "common/room_name.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchboard {
namespace {

bool IsRoomChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == ':' || c == '@' || c == '=' || c == '+';
}

}  // namespace

absl::Status ValidateRoomName(absl::string_view room) {
  if (room.empty()) return absl::InvalidArgumentError("room name is empty");
  if (room.size() > kMaxRoomNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("room name is ", room.size(), " bytes; the limit is ", kMaxRoomNameBytes));
  }
  for (size_t i = 0; i < room.size(); ++i) {
    if (!IsRoomChar(room[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "room name has a forbidden character at byte ", i,
          " (allowed: letters, digits and _-:@=+)"));
    }
  }
  if (room == kEphemeralRoomPrefix) {
    return absl::InvalidArgumentError("ephemeral room name has nothing after \"eph:\"");
  }
  return absl::OkStatus();
}

bool IsEphemeralRoom(absl::string_view room) {
  return absl::StartsWith(room, kEphemeralRoomPrefix);
}

}  // namespace switchboard
