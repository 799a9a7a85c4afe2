#ifndef SWITCHBOARD_GATEWAY_AUTH_JWS_CRYPTO_H_
#define SWITCHBOARD_GATEWAY_AUTH_JWS_CRYPTO_H_

// The JWS signature primitives on OpenSSL 3 EVP, shared by TokenVerifier,
// TokenSigner and the JWKS reader. Keys are parsed once and then only read, so
// one key may be used by many threads at once (OpenSSL allows concurrent use of
// an EVP_PKEY that nobody modifies). Every function leaves the calling thread's
// OpenSSL error queue empty, so a refused token never pollutes later TLS calls.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/auth/jws_algorithm.h"
#include "openssl/evp.h"

namespace switchboard::gateway::auth {

// Shortest accepted HS256 secret, in bytes (RFC 7518 §3.2: at least the hash size).
inline constexpr size_t kMinHmacSecretBytes = 32;
// Smallest accepted RS256 modulus, in bits (RFC 7518 §3.3).
inline constexpr int kMinRsaBits = 2048;

// An immutable parsed key, shared between the copies of whatever holds it.
using SharedEvpPkey = std::shared_ptr<EVP_PKEY>;

// Reads a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
absl::StatusOr<SharedEvpPkey> ReadPublicKeyPem(absl::string_view pem);

// Reads an unencrypted private key PEM (PKCS#8, or the traditional RSA / EC
// forms). Never prompts for a passphrase: encrypted keys are refused.
absl::StatusOr<SharedEvpPkey> ReadPrivateKeyPem(absl::string_view pem);

// The SubjectPublicKeyInfo PEM of `key` (public part only).
absl::StatusOr<std::string> WritePublicKeyPem(EVP_PKEY* key);

// OK when `key` may be used with `algorithm`: an RSA key of at least kMinRsaBits
// for RS256, an EC key on P-256 for ES256. HS256 has no EVP key: always refused.
// InvalidArgument otherwise. The one place that ties key type to algorithm.
absl::Status CheckKeyForAlgorithm(EVP_PKEY* key, JwsAlgorithm algorithm);

// HMAC-SHA256 of `data` under `secret` (32 bytes).
std::string HmacSha256(absl::string_view secret, absl::string_view data);

// True when `mac` equals HmacSha256(secret, data); constant time in the content
// of `mac`.
bool VerifyHmacSha256(absl::string_view secret, absl::string_view data, absl::string_view mac);

// Signs `data` with the private `key` for RS256 or ES256 (CheckKeyForAlgorithm
// must have passed). ES256 signatures come back as JWS wants them: 64 bytes,
// R||S, each left-padded to 32 bytes (not OpenSSL's DER).
absl::StatusOr<std::string> SignWithKey(EVP_PKEY* key, JwsAlgorithm algorithm,
                                        absl::string_view data);

// True when `signature` (JWS form, as SignWithKey returns it) verifies `data`
// under `key` for RS256 or ES256. False for any malformed signature.
bool VerifyWithKey(EVP_PKEY* key, JwsAlgorithm algorithm, absl::string_view data,
                   absl::string_view signature);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_JWS_CRYPTO_H_
