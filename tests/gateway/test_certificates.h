#ifndef SWITCHBOARD_TESTS_GATEWAY_TEST_CERTIFICATES_H_
#define SWITCHBOARD_TESTS_GATEWAY_TEST_CERTIFICATES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::testing {

// PEM files of a certificate made at test time.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};

// Writes `name`.crt and `name`.key into `dir`: a self-signed certificate for
// CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1, and its
// fresh EC P-256 key. It is marked as a CA, so it is its own trust anchor:
// a client that loads the .crt as its CA file accepts it. Valid from an hour
// ago for `validity` (negative: already expired).
absl::StatusOr<TestCertificate> WriteSelfSignedCertificate(
    const std::string& dir, const std::string& name = "server",
    absl::Duration validity = absl::Hours(24));

// Writes `key` (a PEM private key file) again, encrypted with `passphrase`.
absl::Status WriteEncryptedKey(const std::string& key_file, const std::string& out_file,
                               const std::string& passphrase);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_GATEWAY_TEST_CERTIFICATES_H_
