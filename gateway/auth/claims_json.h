#ifndef SWITCHBOARD_GATEWAY_AUTH_CLAIMS_JSON_H_
#define SWITCHBOARD_GATEWAY_AUTH_CLAIMS_JSON_H_

// The JWT claims set (RFC 7519 §4) of Switchboard tokens, both ways. Pure
// functions; thread-safe; nothing here throws.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/auth/claims.h"

namespace switchboard::gateway::auth {

// Longest `sub`, in bytes.
inline constexpr size_t kMaxUserIdBytes = 128;

// Reads the claims of a token payload whose signature has been verified and
// checks them at `now`:
// - `sub`: required string, 1-128 bytes, no ASCII control characters;
// - `exp`: required NumericDate; valid while now < exp + leeway;
// - `nbf`: optional NumericDate; valid once now + leeway >= nbf;
// - `iat`: optional NumericDate (type-checked only);
// - `rooms`, `publish`: optional arrays of valid room patterns; no `rooms`
//   means no room, no `publish` means the same as `rooms`;
// - `meta`: optional JSON object (or null), kept as compact JSON text.
// NumericDates are JSON numbers of seconds since the epoch in [0, 1e11),
// fractions allowed. Other claims (iss, aud, jti, ...) are ignored. Failures are
// AuthFailure() statuses: kMalformed when the payload is not one JSON object,
// kBadClaims for a missing or invalid claim, then kExpired / kNotYetValid (a
// well-formed token out of its window).
absl::StatusOr<Claims> ParseClaimsJson(absl::string_view payload_json, absl::Time now,
                                       absl::Duration leeway);

// The compact JSON payload for `claims`, issued at `issued_at`: `sub`, `iat`,
// `exp` (whole seconds, rounded down), `rooms`, `publish` and, when meta_json
// is not empty, `meta`. InvalidArgument when the result would not pass
// ParseClaimsJson's checks (user id, patterns, times, meta not an object);
// an `exp` in the past is allowed, so tests can mint expired tokens.
absl::StatusOr<std::string> ClaimsToJson(const Claims& claims, absl::Time issued_at);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_CLAIMS_JSON_H_
