#ifndef SWITCHBOARD_GATEWAY_AUTH_JWKS_H_
#define SWITCHBOARD_GATEWAY_AUTH_JWKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/auth/key_config.h"

namespace switchboard::gateway::auth {

// Reads a JSON Web Key Set (RFC 7517 §5) of public verification keys. An RSA
// key (`n`, `e`) becomes an RS256 KeyConfig, an EC P-256 key (`x`, `y`) an ES256
// one, each converted to a PEM public key with OpenSSL and checked (point on the
// curve, RSA of at least 2048 bits); `kid` is kept. A key's `alg`, when present,
// must be the one its type implies. Keys marked `"use":"enc"` and types
// Switchboard does not verify with (oct, OKP, other curves, other algs) are
// skipped with a warning, so a provider's full key set can be used as is. A
// malformed key of a supported type, or a set with no usable key, is
// InvalidArgument: better no gateway than one that silently lost a key.
absl::StatusOr<std::vector<KeyConfig>> ParseJwks(absl::string_view json);

// ParseJwks on the content of a file.
absl::StatusOr<std::vector<KeyConfig>> LoadJwksFile(const std::string& path);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_JWKS_H_
