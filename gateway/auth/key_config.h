#ifndef SWITCHBOARD_GATEWAY_AUTH_KEY_CONFIG_H_
#define SWITCHBOARD_GATEWAY_AUTH_KEY_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/auth/jws_algorithm.h"

namespace switchboard::gateway::auth {

// One signing or verification key as configured. The algorithm belongs to the
// key: a token may only use the algorithm of the key that verifies it, whatever
// its header says. Nothing is checked here; TokenVerifier::Create and
// TokenSigner::Create refuse unusable keys.
struct KeyConfig {
  // Optional key id, matched against the token header's `kid`.
  std::string kid;
  JwsAlgorithm algorithm = JwsAlgorithm::kHs256;
  // HS256: the raw secret bytes. RS256/ES256: PEM text, a public key
  // ("BEGIN PUBLIC KEY") to verify or a private key to sign.
  std::string material;
};

// Reads an HS256 secret: the file's raw bytes with one trailing "\n" (or
// "\r\n") removed, so `openssl rand -base64 48 > secret` works as expected. The
// secret is the text as written, not its base64 decoding. Refuses secrets
// shorter than 32 bytes and files that hold a PEM key (using a PEM as an HMAC
// secret is the classic algorithm-confusion mistake).
absl::StatusOr<KeyConfig> LoadHmacSecretFile(const std::string& path, absl::string_view kid = "");

// Reads a PEM key file for RS256 or ES256 (public key to verify, private key to
// sign). Refuses HS256 and files that do not look like PEM; the key itself is
// parsed and checked by whoever uses it.
absl::StatusOr<KeyConfig> LoadPemKeyFile(JwsAlgorithm algorithm, const std::string& path,
                                         absl::string_view kid = "");

// The whole content of `path`, at most `max_bytes` (key files are small; a huge
// one is a configuration mistake). NotFound / FailedPrecondition on errors.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_KEY_CONFIG_H_
