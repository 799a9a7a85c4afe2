#include "gateway/auth/jws_crypto.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "openssl/err.h"
#include "tests/gateway/auth/test_keys.h"

namespace switchboard::gateway::auth {
namespace {

SharedEvpPkey Public(const TestKeyPair& pair) {
  absl::StatusOr<SharedEvpPkey> key = ReadPublicKeyPem(pair.public_pem);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *key : nullptr;
}

SharedEvpPkey Private(const TestKeyPair& pair) {
  absl::StatusOr<SharedEvpPkey> key = ReadPrivateKeyPem(pair.private_pem);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *key : nullptr;
}

TEST(JwsCryptoTest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(absl::BytesToHexString(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::string mac = HmacSha256(kTestSecret, "data");
  EXPECT_TRUE(VerifyHmacSha256(kTestSecret, "data", mac));
  EXPECT_FALSE(VerifyHmacSha256(kTestSecret, "data2", mac));
  EXPECT_FALSE(VerifyHmacSha256(kOtherTestSecret, "data", mac));
  EXPECT_FALSE(VerifyHmacSha256(kTestSecret, "data", mac.substr(0, 16)));
  EXPECT_FALSE(VerifyHmacSha256(kTestSecret, "data", ""));
}

TEST(JwsCryptoTest, Rs256SignsAndVerifies) {
  SharedEvpPkey private_key = Private(RsaKeyPair());
  SharedEvpPkey public_key = Public(RsaKeyPair());
  absl::StatusOr<std::string> signature = SignWithKey(private_key.get(), JwsAlgorithm::kRs256, "m");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(signature->size(), 256u);
  EXPECT_TRUE(VerifyWithKey(public_key.get(), JwsAlgorithm::kRs256, "m", *signature));
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kRs256, "n", *signature));
  std::string flipped = *signature;
  flipped[100] ^= 1;
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kRs256, "m", flipped));
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kRs256, "m", ""));
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kRs256, "m", *signature + "x"));
  EXPECT_EQ(ERR_peek_error(), 0u) << "a refused signature left OpenSSL errors behind";
}

TEST(JwsCryptoTest, Es256UsesRawRAndS) {
  SharedEvpPkey private_key = Private(EcKeyPair());
  SharedEvpPkey public_key = Public(EcKeyPair());
  for (int i = 0; i < 20; ++i) {  // R or S with leading zero bytes must still be 32 bytes each.
    std::string message = "message " + std::to_string(i);
    absl::StatusOr<std::string> signature =
        SignWithKey(private_key.get(), JwsAlgorithm::kEs256, message);
    ASSERT_TRUE(signature.ok()) << signature.status();
    ASSERT_EQ(signature->size(), 64u);
    EXPECT_TRUE(VerifyWithKey(public_key.get(), JwsAlgorithm::kEs256, message, *signature));
    std::string flipped = *signature;
    flipped[63] ^= 1;
    EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kEs256, message, flipped));
  }
}

TEST(JwsCryptoTest, Es256RefusesDerAndOddLengths) {
  SharedEvpPkey private_key = Private(EcKeyPair());
  SharedEvpPkey public_key = Public(EcKeyPair());
  // What OpenSSL itself produces: DER. A JWS verifier must not accept it.
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, private_key.get()), 1);
  std::string der(80, '\0');
  size_t length = der.size();
  ASSERT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                           reinterpret_cast<const unsigned char*>("m"), 1),
            1);
  EVP_MD_CTX_free(ctx);
  der.resize(length);
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kEs256, "m", der));
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kEs256, "m", std::string(64, '\0')));
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kEs256, "m", std::string(63, 'a')));
  EXPECT_FALSE(VerifyWithKey(public_key.get(), JwsAlgorithm::kEs256, "m", std::string(65, 'a')));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(JwsCryptoTest, KeyTypeMustFitTheAlgorithm) {
  SharedEvpPkey rsa = Public(RsaKeyPair());
  SharedEvpPkey ec = Public(EcKeyPair());
  EXPECT_TRUE(CheckKeyForAlgorithm(rsa.get(), JwsAlgorithm::kRs256).ok());
  EXPECT_TRUE(CheckKeyForAlgorithm(ec.get(), JwsAlgorithm::kEs256).ok());
  EXPECT_FALSE(CheckKeyForAlgorithm(rsa.get(), JwsAlgorithm::kEs256).ok());
  EXPECT_FALSE(CheckKeyForAlgorithm(ec.get(), JwsAlgorithm::kRs256).ok());
  EXPECT_FALSE(CheckKeyForAlgorithm(rsa.get(), JwsAlgorithm::kHs256).ok());
  SharedEvpPkey p384 = Public(GenerateEcKeyPair("P-384"));
  EXPECT_FALSE(CheckKeyForAlgorithm(p384.get(), JwsAlgorithm::kEs256).ok());
  SharedEvpPkey small_rsa = Public(GenerateRsaKeyPair(1024));
  EXPECT_FALSE(CheckKeyForAlgorithm(small_rsa.get(), JwsAlgorithm::kRs256).ok());
  // The wrong key type never verifies anything either.
  EXPECT_FALSE(VerifyWithKey(ec.get(), JwsAlgorithm::kRs256, "m", std::string(256, 'a')));
}

TEST(JwsCryptoTest, PemReadingIsStrictAndNeverPrompts) {
  EXPECT_FALSE(ReadPublicKeyPem("").ok());
  EXPECT_FALSE(
      ReadPublicKeyPem("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n").ok());
  EXPECT_FALSE(ReadPublicKeyPem(RsaKeyPair().private_pem).ok());
  EXPECT_FALSE(ReadPrivateKeyPem(RsaKeyPair().public_pem).ok());
  // Would block on a passphrase prompt if the callback were missing.
  absl::StatusOr<SharedEvpPkey> encrypted = ReadPrivateKeyPem(EncryptedPrivatePem(EcKeyPair()));
  EXPECT_EQ(encrypted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(JwsCryptoTest, WritesThePublicPem) {
  SharedEvpPkey private_key = Private(EcKeyPair());
  absl::StatusOr<std::string> pem = WritePublicKeyPem(private_key.get());
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(*pem, EcKeyPair().public_pem);
}

}  // namespace
}  // namespace switchboard::gateway::auth
