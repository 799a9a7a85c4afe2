#ifndef SWITCHBOARD_TESTS_GATEWAY_AUTH_TEST_KEYS_H_
#define SWITCHBOARD_TESTS_GATEWAY_AUTH_TEST_KEYS_H_

// Keys and files for the auth tests, generated with OpenSSL at run time so no
// private key is ever committed.

#include <string>

#include "absl/strings/string_view.h"

namespace switchboard::gateway::auth {

// An HS256 secret of 40 bytes.
inline constexpr char kTestSecret[] = "switchboard-test-secret-0123456789abcdef";
inline constexpr char kOtherTestSecret[] = "another-switchboard-secret-0123456789abcd";

struct TestKeyPair {
  std::string private_pem;  // PKCS#8 "BEGIN PRIVATE KEY".
  std::string public_pem;   // SubjectPublicKeyInfo "BEGIN PUBLIC KEY".
};

// A fresh RSA key pair of `bits` bits. Aborts the test binary on OpenSSL failure.
TestKeyPair GenerateRsaKeyPair(int bits);
// A fresh EC key pair on `curve` ("P-256", "P-384").
TestKeyPair GenerateEcKeyPair(const char* curve);

// One RSA-2048 and one P-256 pair per process (RSA generation takes a while).
const TestKeyPair& RsaKeyPair();
const TestKeyPair& EcKeyPair();

// The public JWK of a pair: {"kty":"RSA","n","e"} or {"kty":"EC","crv":"P-256",
// "x","y"}, with "kid" when not empty.
std::string RsaPublicJwk(const TestKeyPair& pair, absl::string_view kid);
std::string EcPublicJwk(const TestKeyPair& pair, absl::string_view kid);

// `private_pem` encrypted with a passphrase (PKCS#8, AES-256-CBC).
std::string EncryptedPrivatePem(const TestKeyPair& pair);

// Writes `content` to a fresh file under the test's temporary directory and
// returns its path.
std::string WriteTempFile(absl::string_view name, absl::string_view content);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_TESTS_GATEWAY_AUTH_TEST_KEYS_H_
