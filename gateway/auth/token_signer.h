#ifndef SWITCHBOARD_GATEWAY_AUTH_TOKEN_SIGNER_H_
#define SWITCHBOARD_GATEWAY_AUTH_TOKEN_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/auth/claims.h"
#include "gateway/auth/jws_algorithm.h"
#include "gateway/auth/jws_crypto.h"
#include "gateway/auth/key_config.h"

namespace switchboard::gateway::auth {

// Mints Switchboard JWTs that TokenVerifier accepts: HS256 with a shared secret,
// RS256 / ES256 with a private PEM key (ES256 signatures in JWS R||S form).
// Meant for devtoken and tests; production tokens come from the application's
// own auth service. Immutable after Create(): Sign() may run on any thread.
class TokenSigner {
 public:
  // `key.material` is the HS256 secret (at least 32 bytes, not PEM text) or an
  // unencrypted private key PEM of the right type. `key.kid`, when set, goes
  // into the header. InvalidArgument for unusable keys.
  static absl::StatusOr<TokenSigner> Create(const KeyConfig& key);

  // A token carrying `claims` (see ClaimsToJson: sub, iat = issued_at, exp,
  // rooms, publish, meta). InvalidArgument when the claims are invalid.
  absl::StatusOr<std::string> Sign(const Claims& claims, absl::Time issued_at) const;

  // A token whose payload is `payload_json` exactly as given, unchecked: lets
  // tests build tokens with missing or broken claims that are still validly
  // signed.
  absl::StatusOr<std::string> SignPayload(absl::string_view payload_json) const;

  // The signature of `signing_input` (raw bytes, before base64url), for tests
  // that assemble a token with an unusual header themselves.
  absl::StatusOr<std::string> SignBytes(absl::string_view signing_input) const;

 private:
  TokenSigner(std::string header_json, JwsAlgorithm algorithm, std::string secret,
              SharedEvpPkey private_key);

  std::string header_json_;
  JwsAlgorithm algorithm_;
  std::string secret_;         // HS256.
  SharedEvpPkey private_key_;  // RS256, ES256.
};

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_TOKEN_SIGNER_H_
