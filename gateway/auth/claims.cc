#include "gateway/auth/claims.h"

#include "common/room_name.h"
#include "gateway/auth/room_pattern.h"

namespace switchboard::gateway::auth {
namespace {

bool MatchesAny(const std::vector<std::string>& patterns, absl::string_view room) {
  if (!ValidateRoomName(room).ok()) return false;
  for (const std::string& pattern : patterns) {
    if (MatchRoomPattern(pattern, room)) return true;
  }
  return false;
}

}  // namespace

bool Claims::CanJoin(absl::string_view room) const { return MatchesAny(join_patterns, room); }

bool Claims::CanPublish(absl::string_view room) const { return MatchesAny(publish_patterns, room); }

}  // namespace switchboard::gateway::auth
