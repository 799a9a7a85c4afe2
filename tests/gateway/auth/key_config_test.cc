#include "gateway/auth/key_config.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/gateway/auth/test_keys.h"

namespace switchboard::gateway::auth {
namespace {

TEST(KeyConfigTest, HmacSecretLosesOneTrailingNewline) {
  std::string secret(40, 's');
  for (const std::string& ending : {std::string(""), std::string("\n"), std::string("\r\n")}) {
    absl::StatusOr<KeyConfig> key =
        LoadHmacSecretFile(WriteTempFile("secret", secret + ending), "k1");
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->material, secret);
    EXPECT_EQ(key->kid, "k1");
    EXPECT_EQ(key->algorithm, JwsAlgorithm::kHs256);
  }
  // Only one: the rest is part of the secret.
  absl::StatusOr<KeyConfig> key = LoadHmacSecretFile(WriteTempFile("secret", secret + "\n\n"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->material, secret + "\n");
}

TEST(KeyConfigTest, HmacSecretKeepsBinaryBytes) {
  std::string secret(32, '\0');
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>(i * 7);
  absl::StatusOr<KeyConfig> key = LoadHmacSecretFile(WriteTempFile("binary", secret));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->material, secret);
}

TEST(KeyConfigTest, RefusesWeakOrWrongSecrets) {
  EXPECT_FALSE(LoadHmacSecretFile(WriteTempFile("short", std::string(31, 's') + "\n")).ok());
  EXPECT_FALSE(LoadHmacSecretFile(WriteTempFile("pem", RsaKeyPair().public_pem)).ok());
  EXPECT_EQ(LoadHmacSecretFile(::testing::TempDir() + "/does-not-exist").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(KeyConfigTest, PemKeyFiles) {
  absl::StatusOr<KeyConfig> key =
      LoadPemKeyFile(JwsAlgorithm::kEs256, WriteTempFile("ec.pem", EcKeyPair().public_pem), "ec1");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->material, EcKeyPair().public_pem);
  EXPECT_EQ(key->algorithm, JwsAlgorithm::kEs256);
  EXPECT_EQ(key->kid, "ec1");
  EXPECT_FALSE(LoadPemKeyFile(JwsAlgorithm::kRs256, WriteTempFile("x", "not a pem")).ok());
  EXPECT_FALSE(
      LoadPemKeyFile(JwsAlgorithm::kHs256, WriteTempFile("ec.pem", EcKeyPair().public_pem)).ok());
}

TEST(KeyConfigTest, RefusesHugeFiles) {
  EXPECT_EQ(ReadKeyFile(WriteTempFile("big", std::string(5000, 'x')), 4096).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ReadKeyFile(WriteTempFile("fits", std::string(4096, 'x')), 4096).ok());
}

}  // namespace
}  // namespace switchboard::gateway::auth
