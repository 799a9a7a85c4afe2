#ifndef SWITCHBOARD_GATEWAY_AUTH_JWS_ALGORITHM_H_
#define SWITCHBOARD_GATEWAY_AUTH_JWS_ALGORITHM_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace switchboard::gateway::auth {

// The JWS algorithms Switchboard accepts (RFC 7518 §3.1). "none" and everything
// else are deliberately absent: a key's configured algorithm is the only one its
// tokens may use.
enum class JwsAlgorithm {
  kHs256,  // HMAC-SHA256, shared secret of at least 32 bytes.
  kRs256,  // RSASSA-PKCS1-v1_5 with SHA-256, RSA key of at least 2048 bits.
  kEs256,  // ECDSA P-256 with SHA-256, signature as 64 raw bytes R||S.
};

// "HS256", "RS256", "ES256".
absl::string_view JwsAlgorithmName(JwsAlgorithm algorithm);

// Exact, case-sensitive match of the names above (RFC 7515 `alg` values are
// case-sensitive); nullopt for anything else, including "none".
std::optional<JwsAlgorithm> ParseJwsAlgorithm(absl::string_view name);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_JWS_ALGORITHM_H_
