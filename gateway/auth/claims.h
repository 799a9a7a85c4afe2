#ifndef SWITCHBOARD_GATEWAY_AUTH_CLAIMS_H_
#define SWITCHBOARD_GATEWAY_AUTH_CLAIMS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::gateway::auth {

// What a verified token grants. Produced by TokenVerifier (claims `sub`, `exp`,
// `rooms`, `publish`, `meta`) and consumed by TokenSigner; a plain value, safe to
// copy and to read from any thread.
struct Claims {
  // `sub`: 1-128 bytes, no control characters.
  std::string user_id;
  // `exp`.
  absl::Time expires_at = absl::InfinitePast();
  // `rooms`: room patterns (gateway/auth/room_pattern.h) the user may join.
  std::vector<std::string> join_patterns;
  // `publish`: patterns the user may publish to. A token without the claim
  // gets a copy of `rooms`; an empty array means read-only. Publishing does not
  // require membership here: the gateway decides whether it also wants a join.
  std::vector<std::string> publish_patterns;
  // `meta`: the token's presence metadata, a JSON object as compact JSON text,
  // or empty when the token has none.
  std::string meta_json;

  // True when `room` is a valid room name (common/room_name.h) matched by one of
  // join_patterns. Invalid names are refused here too, so "*" never lets an
  // unvalidated name through.
  bool CanJoin(absl::string_view room) const;
  // Same, against publish_patterns.
  bool CanPublish(absl::string_view room) const;
};

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_CLAIMS_H_
