#include "gateway/tls_context.h"

#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/gateway/test_certificates.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::gateway {
namespace {

using testing::TempDir;
using testing::WriteSelfSignedCertificate;

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = WriteSelfSignedCertificate(dir_.path());
    ASSERT_TRUE(cert.ok()) << cert.status();
    options_.cert_file = cert->cert_file;
    options_.key_file = cert->key_file;
  }

  TempDir dir_{"tls_context"};
  TlsOptions options_;
};

TEST_F(TlsContextTest, LoadsACertificateAndItsKey) {
  auto context = TlsContext::Create(options_);
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_NE((*context)->native(), nullptr);
  EXPECT_TRUE(absl::StrContains((*context)->description(), "localhost"))
      << (*context)->description();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native()), TLS1_2_VERSION);
}

TEST_F(TlsContextTest, MinimumVersionIsConfigurable) {
  options_.min_version = "1.3";
  auto context = TlsContext::Create(options_);
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native()), TLS1_3_VERSION);

  for (const char* bad : {"1.1", "1.0", "", "tls1.2"}) {
    options_.min_version = bad;
    auto refused = TlsContext::Create(options_);
    EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << bad;
  }
}

TEST_F(TlsContextTest, MissingFilesAreNamed) {
  TlsOptions missing = options_;
  missing.cert_file = dir_.path() + "/nope.crt";
  auto context = TlsContext::Create(missing);
  ASSERT_TRUE(absl::IsInvalidArgument(context.status())) << context.status();
  EXPECT_TRUE(absl::StrContains(context.status().message(), "nope.crt"));
  EXPECT_TRUE(absl::StrContains(context.status().message(), "No such file"));

  missing = options_;
  missing.key_file = dir_.path() + "/nope.key";
  context = TlsContext::Create(missing);
  ASSERT_TRUE(absl::IsInvalidArgument(context.status())) << context.status();
  EXPECT_TRUE(absl::StrContains(context.status().message(), "nope.key"));
}

TEST_F(TlsContextTest, BothFilesAreRequired) {
  TlsOptions half = options_;
  half.key_file.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(TlsContext::Create(half).status()));
  half = options_;
  half.cert_file.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(TlsContext::Create(half).status()));
}

TEST_F(TlsContextTest, FilesThatAreNotPemAreRefused) {
  const std::string garbage = dir_.path() + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  TlsOptions bad = options_;
  bad.cert_file = garbage;
  auto context = TlsContext::Create(bad);
  ASSERT_TRUE(absl::IsInvalidArgument(context.status()));
  EXPECT_TRUE(absl::StrContains(context.status().message(), "garbage.pem"));
  EXPECT_TRUE(absl::StrContains(context.status().message(), "certificate chain"));

  bad = options_;
  bad.key_file = garbage;
  context = TlsContext::Create(bad);
  ASSERT_TRUE(absl::IsInvalidArgument(context.status()));
  EXPECT_TRUE(absl::StrContains(context.status().message(), "private key"));

  // A certificate where the key should be, and the other way round.
  bad.cert_file = options_.key_file;
  bad.key_file = options_.cert_file;
  EXPECT_TRUE(absl::IsInvalidArgument(TlsContext::Create(bad).status()));
}

TEST_F(TlsContextTest, AKeyOfAnotherCertificateIsRefused) {
  auto other = WriteSelfSignedCertificate(dir_.path(), "other");
  ASSERT_TRUE(other.ok()) << other.status();
  TlsOptions mismatched = options_;
  mismatched.key_file = other->key_file;
  auto context = TlsContext::Create(mismatched);
  ASSERT_TRUE(absl::IsInvalidArgument(context.status()));
  EXPECT_TRUE(absl::StrContains(context.status().message(), "does not match")) << context.status();
}

TEST_F(TlsContextTest, AnEncryptedKeyIsRefusedWithoutPrompting) {
  // stdin under Bazel is not a terminal, but a prompt would still block or
  // read garbage: the context must fail at once.
  const std::string encrypted = dir_.path() + "/encrypted.key";
  ASSERT_TRUE(testing::WriteEncryptedKey(options_.key_file, encrypted, "secret").ok());
  TlsOptions locked = options_;
  locked.key_file = encrypted;
  auto context = TlsContext::Create(locked);
  ASSERT_TRUE(absl::IsInvalidArgument(context.status()));
  EXPECT_TRUE(absl::StrContains(context.status().message(), "encrypted.key"));
}

TEST_F(TlsContextTest, AnExpiredCertificateStillLoads) {
  // Clients refuse it; the gateway starts and logs a warning so that the
  // operator sees why handshakes fail.
  auto expired = WriteSelfSignedCertificate(dir_.path(), "expired", -absl::Minutes(1));
  ASSERT_TRUE(expired.ok()) << expired.status();
  TlsOptions old;
  old.cert_file = expired->cert_file;
  old.key_file = expired->key_file;
  EXPECT_TRUE(TlsContext::Create(old).ok());
}

}  // namespace
}  // namespace switchboard::gateway
