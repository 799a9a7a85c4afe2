#ifndef SWITCHBOARD_GATEWAY_AUTH_AUTH_FAILURE_H_
#define SWITCHBOARD_GATEWAY_AUTH_AUTH_FAILURE_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace switchboard::gateway::auth {

// Why a token was refused. One value per `auth_failures_total{reason=...}`
// label, so the set is closed: add a value only together with its label.
enum class AuthFailureReason {
  kMalformed,     // Not a compact JWS, bad base64url or JSON, too large.
  kBadSignature,  // No configured key verifies the signature.
  kExpired,       // `exp` (plus leeway) is not after now.
  kNotYetValid,   // `nbf` is after now (plus leeway).
  kUnknownKey,    // The header names a `kid` that is not configured.
  kBadAlgorithm,  // `alg` is none, unsupported, or not the key's algorithm.
  kBadClaims,     // Signed, but `sub`, `exp`, `rooms`, ... are missing or invalid.
};

// The metrics label: "malformed", "bad_signature", "expired", "not_yet_valid",
// "unknown_key", "bad_algorithm", "bad_claims".
absl::string_view AuthFailureReasonLabel(AuthFailureReason reason);

// An UNAUTHENTICATED status carrying `reason` as a payload. `message` is safe to
// show the client: it never contains key material.
absl::Status AuthFailure(AuthFailureReason reason, absl::string_view message);

// The reason attached by AuthFailure(), or nullopt for any other status
// (including OK).
std::optional<AuthFailureReason> GetAuthFailureReason(const absl::Status& status);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_AUTH_FAILURE_H_
