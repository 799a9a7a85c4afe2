#ifndef SWITCHBOARD_GATEWAY_AUTH_TOKEN_VERIFIER_H_
#define SWITCHBOARD_GATEWAY_AUTH_TOKEN_VERIFIER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/auth/claims.h"
#include "gateway/auth/jws_algorithm.h"
#include "gateway/auth/jws_crypto.h"
#include "gateway/auth/key_config.h"

namespace switchboard::gateway::auth {

struct TokenVerifierConfig {
  // At least one. Key ids, when given, must be unique.
  std::vector<KeyConfig> keys;
  // Tolerated clock skew for `exp` and `nbf`: 0 to 1 hour.
  absl::Duration leeway = absl::Seconds(5);
  // Longer tokens are refused before any decoding.
  size_t max_token_bytes = 8 * 1024;
};

// Checks Switchboard JWTs (compact JWS, RFC 7515/7519) and returns their claims.
//
// The algorithm comes from the key configuration, never from the token: the
// header's `alg` only has to name it. With a `kid` the token is checked by that
// key alone (unknown kid: kUnknownKey; key of another algorithm: kBadAlgorithm);
// without one, by every key whose algorithm equals `alg` (none: kBadAlgorithm).
// So an HS256 token "signed" with an RS256 public key, or `alg: none`, can never
// verify. Signatures are checked with OpenSSL directly, not cpp-jwt, because
// cpp-jwt reads the wall clock itself (no `now` to test with), checks time
// claims before the signature, and re-parses the PEM key on every call.
//
// Immutable after Create(): Verify() may run on any number of threads at once.
class TokenVerifier {
 public:
  // Parses and checks every key (HS256 secrets of at least 32 bytes that are not
  // PEM text, RSA >= 2048 bits for RS256, EC P-256 for ES256). InvalidArgument
  // naming the bad key otherwise.
  static absl::StatusOr<TokenVerifier> Create(const TokenVerifierConfig& config);

  // The claims of `token` if it is valid at `now`. Otherwise UNAUTHENTICATED
  // with an AuthFailureReason payload (gateway/auth/auth_failure.h) for the
  // `auth_failures_total{reason}` metric, and a message fit for the client.
  // The signature is checked before any claim is read.
  absl::StatusOr<Claims> Verify(absl::string_view token, absl::Time now) const;

  absl::Duration leeway() const { return leeway_; }

 private:
  struct Key {
    std::string kid;
    JwsAlgorithm algorithm;
    std::string secret;        // HS256.
    SharedEvpPkey public_key;  // RS256, ES256.
  };

  TokenVerifier(std::vector<Key> keys, absl::Duration leeway, size_t max_token_bytes);

  absl::StatusOr<Claims> VerifyOrThrow(absl::string_view token, absl::Time now) const;
  static bool CheckSignature(const Key& key, absl::string_view signing_input,
                             absl::string_view signature);

  std::vector<Key> keys_;
  absl::Duration leeway_;
  size_t max_token_bytes_;
};

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_TOKEN_VERIFIER_H_
