#include "gateway/auth/room_pattern.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/room_name.h"

namespace switchboard::gateway::auth {

absl::Status ValidateRoomPattern(absl::string_view pattern) {
  // A pattern is a room name in which some bytes are `*`: substituting a plain
  // room character for every star lets the one room-name rule check the rest
  // (length, allowed bytes) without a second copy of the character set.
  std::string as_room(pattern);
  for (char& c : as_room) {
    if (c == '*') c = 'x';
  }
  absl::Status status = ValidateRoomName(as_room);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid room pattern: ", status.message()));
  }
  return absl::OkStatus();
}

bool MatchRoomPattern(absl::string_view pattern, absl::string_view room) {
  size_t first_star = pattern.find('*');
  if (first_star == absl::string_view::npos) return pattern == room;

  // The pieces before the first star and after the last one are anchored; the
  // ones in between may float, and placing each as far left as it fits leaves
  // the most room for the next, so the first placement found is the answer.
  size_t last_star = pattern.rfind('*');
  absl::string_view prefix = pattern.substr(0, first_star);
  absl::string_view suffix = pattern.substr(last_star + 1);
  if (room.size() < prefix.size() + suffix.size()) return false;
  if (!absl::StartsWith(room, prefix) || !absl::EndsWith(room, suffix)) return false;

  absl::string_view rest = room.substr(prefix.size(), room.size() - prefix.size() - suffix.size());
  absl::string_view middle = last_star > first_star
                                 ? pattern.substr(first_star + 1, last_star - first_star - 1)
                                 : absl::string_view();
  while (!middle.empty()) {
    size_t star = middle.find('*');
    absl::string_view piece = middle.substr(0, star);
    middle = star == absl::string_view::npos ? absl::string_view() : middle.substr(star + 1);
    if (piece.empty()) continue;  // "**" is one star.
    size_t at = rest.find(piece);
    if (at == absl::string_view::npos) return false;
    rest.remove_prefix(at + piece.size());
  }
  return true;
}

}  // namespace switchboard::gateway::auth
