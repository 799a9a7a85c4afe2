#include "gateway/auth/jwks.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/auth/auth_failure.h"
#include "gateway/auth/token_signer.h"
#include "gateway/auth/token_verifier.h"
#include "gtest/gtest.h"
#include "tests/gateway/auth/test_keys.h"

namespace switchboard::gateway::auth {
namespace {

// RFC 7515 Appendix A.3: an ES256 JWS from the specification itself, so the
// R||S handling is checked against someone else's bytes.
constexpr char kRfcEcJwk[] =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr char kRfcEs256Token[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
// Before the vector's exp (1300819380).
const absl::Time kRfcNow = absl::FromUnixSeconds(1300819000);

std::string KeySet(const std::string& keys) { return absl::StrCat(R"({"keys":[)", keys, "]}"); }

TEST(JwksTest, RfcEcKeyVerifiesTheRfcSignature) {
  absl::StatusOr<std::vector<KeyConfig>> keys = ParseJwks(KeySet(kRfcEcJwk));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].algorithm, JwsAlgorithm::kEs256);
  EXPECT_NE((*keys)[0].material.find("BEGIN PUBLIC KEY"), std::string::npos);

  absl::StatusOr<TokenVerifier> verifier = TokenVerifier::Create({*keys});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  // The signature passes; the vector has no `sub`, so the claims do not.
  EXPECT_EQ(GetAuthFailureReason(verifier->Verify(kRfcEs256Token, kRfcNow).status()),
            AuthFailureReason::kBadClaims);
  std::string tampered = kRfcEs256Token;
  tampered.back() = 'A';
  EXPECT_EQ(GetAuthFailureReason(verifier->Verify(tampered, kRfcNow).status()),
            AuthFailureReason::kBadSignature);
}

TEST(JwksTest, GeneratedRsaAndEcKeysVerifyTheirTokens) {
  absl::StatusOr<std::vector<KeyConfig>> keys = ParseJwks(KeySet(
      absl::StrCat(RsaPublicJwk(RsaKeyPair(), "rsa-1"), ",", EcPublicJwk(EcKeyPair(), "ec-1"))));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "rsa-1");
  EXPECT_EQ((*keys)[0].algorithm, JwsAlgorithm::kRs256);
  EXPECT_EQ((*keys)[0].material, RsaKeyPair().public_pem);
  EXPECT_EQ((*keys)[1].kid, "ec-1");
  EXPECT_EQ((*keys)[1].material, EcKeyPair().public_pem);

  absl::StatusOr<TokenVerifier> verifier = TokenVerifier::Create({*keys});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const absl::Time now = absl::Now();
  Claims claims;
  claims.user_id = "u";
  claims.expires_at = now + absl::Hours(1);
  for (const auto& [algorithm, pair, kid] :
       {std::make_tuple(JwsAlgorithm::kRs256, RsaKeyPair(), "rsa-1"),
        std::make_tuple(JwsAlgorithm::kEs256, EcKeyPair(), "ec-1")}) {
    absl::StatusOr<TokenSigner> signer = TokenSigner::Create({kid, algorithm, pair.private_pem});
    ASSERT_TRUE(signer.ok()) << signer.status();
    absl::StatusOr<std::string> token = signer->Sign(claims, now);
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_TRUE(verifier->Verify(*token, now).ok()) << kid;
  }
}

TEST(JwksTest, SkipsKeysItDoesNotUse) {
  absl::StatusOr<std::vector<KeyConfig>> keys = ParseJwks(KeySet(absl::StrCat(
      R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-)"
      R"(1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},)",
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},)",
      R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA"},)",
      R"({"kty":"RSA","use":"enc","n":"AA","e":"AQAB"},)",
      R"({"kty":"RSA","alg":"PS256","n":"AA","e":"AQAB"},)", kRfcEcJwk)));
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 1u);
  EXPECT_EQ(ParseJwks(KeySet(R"({"kty":"oct","k":"AAAA"})")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwksTest, RefusesBrokenKeysOfSupportedTypes) {
  std::string rfc_x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  std::string off_curve_y = "y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
  const std::string bad[] = {
      "",
      "[]",
      R"({"keys":{}})",
      R"({"nokeys":[]})",
      KeySet(""),
      KeySet(R"("not an object")"),
      KeySet(absl::StrCat(R"({"kty":"EC","crv":"P-256","x":")", rfc_x, R"(","y":")", off_curve_y,
                          R"("})")),
      KeySet(absl::StrCat(R"({"kty":"EC","crv":"P-256","x":")", rfc_x.substr(0, 42), R"(","y":")",
                          off_curve_y, R"("})")),
      KeySet(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"})"),
      KeySet(R"({"kty":"RSA","n":"AQAB"})"),
      KeySet(R"({"kty":"RSA","n":"not base64!","e":"AQAB"})"),
      KeySet(RsaPublicJwk(GenerateRsaKeyPair(1024), "")),
      KeySet(
          absl::StrCat(R"({"kty":"RSA","alg":"ES256",)", RsaPublicJwk(RsaKeyPair(), "").substr(1))),
  };
  for (const std::string& json : bad) {
    EXPECT_EQ(ParseJwks(json).status().code(), absl::StatusCode::kInvalidArgument) << json;
  }
}

TEST(JwksTest, LoadsFiles) {
  absl::StatusOr<std::vector<KeyConfig>> keys =
      LoadJwksFile(WriteTempFile("jwks.json", KeySet(kRfcEcJwk)));
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 1u);
  EXPECT_EQ(LoadJwksFile(::testing::TempDir() + "/missing.json").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace switchboard::gateway::auth
