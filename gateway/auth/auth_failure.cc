#include "gateway/auth/auth_failure.h"

#include "absl/strings/cord.h"

namespace switchboard::gateway::auth {
namespace {

// Payload type URL; the payload is the metrics label itself.
constexpr char kReasonTypeUrl[] = "type.switchboard.dev/gateway.auth.AuthFailureReason";

constexpr AuthFailureReason kAllReasons[] = {
    AuthFailureReason::kMalformed,  AuthFailureReason::kBadSignature,
    AuthFailureReason::kExpired,    AuthFailureReason::kNotYetValid,
    AuthFailureReason::kUnknownKey, AuthFailureReason::kBadAlgorithm,
    AuthFailureReason::kBadClaims,
};

}  // namespace

absl::string_view AuthFailureReasonLabel(AuthFailureReason reason) {
  switch (reason) {
    case AuthFailureReason::kMalformed:
      return "malformed";
    case AuthFailureReason::kBadSignature:
      return "bad_signature";
    case AuthFailureReason::kExpired:
      return "expired";
    case AuthFailureReason::kNotYetValid:
      return "not_yet_valid";
    case AuthFailureReason::kUnknownKey:
      return "unknown_key";
    case AuthFailureReason::kBadAlgorithm:
      return "bad_algorithm";
    case AuthFailureReason::kBadClaims:
      return "bad_claims";
  }
  return "malformed";
}

absl::Status AuthFailure(AuthFailureReason reason, absl::string_view message) {
  absl::Status status = absl::UnauthenticatedError(message);
  status.SetPayload(kReasonTypeUrl, absl::Cord(AuthFailureReasonLabel(reason)));
  return status;
}

std::optional<AuthFailureReason> GetAuthFailureReason(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnauthenticated) return std::nullopt;
  auto payload = status.GetPayload(kReasonTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  for (AuthFailureReason reason : kAllReasons) {
    if (*payload == AuthFailureReasonLabel(reason)) return reason;
  }
  return std::nullopt;
}

}  // namespace switchboard::gateway::auth
