#include "gateway/auth/token_signer.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gateway/auth/jws_compact.h"
#include "gtest/gtest.h"
#include "jwt/jwt.hpp"
#include "tests/gateway/auth/test_keys.h"

namespace switchboard::gateway::auth {
namespace {

Claims DaveClaims(absl::Time now) {
  Claims claims;
  claims.user_id = "dave";
  claims.expires_at = now + absl::Minutes(5);
  claims.join_patterns = {"chat:*"};
  claims.publish_patterns = {"chat:*"};
  return claims;
}

std::vector<std::string> Parts(const std::string& token) { return absl::StrSplit(token, '.'); }

TEST(TokenSignerTest, HeaderNamesAlgorithmTypeAndKid) {
  absl::StatusOr<TokenSigner> signer =
      TokenSigner::Create({"key \"1\"", JwsAlgorithm::kEs256, EcKeyPair().private_pem});
  ASSERT_TRUE(signer.ok()) << signer.status();
  absl::StatusOr<std::string> token = signer->Sign(DaveClaims(absl::Now()), absl::Now());
  ASSERT_TRUE(token.ok()) << token.status();
  std::vector<std::string> parts = Parts(*token);
  ASSERT_EQ(parts.size(), 3u);
  absl::StatusOr<nlohmann::json> header = ParseJsonObject(*Base64UrlDecode(parts[0]));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(*header, nlohmann::json({{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "key \"1\""}}));
  EXPECT_EQ(Base64UrlDecode(parts[2])->size(), 64u);  // JWS R||S, not DER.

  absl::StatusOr<TokenSigner> no_kid = TokenSigner::Create({"", JwsAlgorithm::kHs256, kTestSecret});
  ASSERT_TRUE(no_kid.ok());
  absl::StatusOr<std::string> hs_token = no_kid->SignPayload("{}");
  ASSERT_TRUE(hs_token.ok());
  EXPECT_EQ(*Base64UrlDecode(Parts(*hs_token)[0]), R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(*Base64UrlDecode(Parts(*hs_token)[1]), "{}");
}

TEST(TokenSignerTest, SignBytesIsTheTokenSignature) {
  absl::StatusOr<TokenSigner> signer = TokenSigner::Create({"", JwsAlgorithm::kHs256, kTestSecret});
  ASSERT_TRUE(signer.ok());
  absl::StatusOr<std::string> token = signer->SignPayload(R"({"sub":"x"})");
  ASSERT_TRUE(token.ok());
  std::string input = token->substr(0, token->rfind('.'));
  EXPECT_EQ(Base64UrlEncode(*signer->SignBytes(input)), Parts(*token)[2]);
  EXPECT_EQ(*signer->SignBytes(input), HmacSha256(kTestSecret, input));
}

// Tokens we mint must verify under an independent implementation (cpp-jwt).
TEST(TokenSignerTest, CppJwtAcceptsOurTokens) {
  const absl::Time now = absl::Now();
  const std::tuple<JwsAlgorithm, std::string, std::string> cases[] = {
      {JwsAlgorithm::kHs256, kTestSecret, kTestSecret},
      {JwsAlgorithm::kRs256, RsaKeyPair().private_pem, RsaKeyPair().public_pem},
      {JwsAlgorithm::kEs256, EcKeyPair().private_pem, EcKeyPair().public_pem},
  };
  for (const auto& [algorithm, signing_key, verification_key] : cases) {
    const std::string alg(JwsAlgorithmName(algorithm));
    SCOPED_TRACE(alg);
    absl::StatusOr<TokenSigner> signer = TokenSigner::Create({"", algorithm, signing_key});
    ASSERT_TRUE(signer.ok()) << signer.status();
    absl::StatusOr<std::string> token = signer->Sign(DaveClaims(now), now);
    ASSERT_TRUE(token.ok()) << token.status();
    try {
      jwt::jwt_object decoded =
          jwt::decode(*token, jwt::params::algorithms({alg}), jwt::params::secret(verification_key),
                      jwt::params::verify(true));
      EXPECT_EQ(decoded.payload().get_claim_value<std::string>("sub"), "dave");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cpp-jwt refused our token: " << e.what();
    }
  }
}

TEST(TokenSignerTest, CreateRefusesUnusableKeys) {
  const KeyConfig bad[] = {
      {"", JwsAlgorithm::kHs256, std::string(31, 's')},
      {"", JwsAlgorithm::kHs256, RsaKeyPair().private_pem},
      {"", JwsAlgorithm::kRs256, RsaKeyPair().public_pem},
      {"", JwsAlgorithm::kRs256, EcKeyPair().private_pem},
      {"", JwsAlgorithm::kEs256, RsaKeyPair().private_pem},
      {"", JwsAlgorithm::kEs256, EncryptedPrivatePem(EcKeyPair())},
      {"", JwsAlgorithm::kEs256, "garbage"},
  };
  for (const KeyConfig& key : bad) {
    EXPECT_EQ(TokenSigner::Create(key).status().code(), absl::StatusCode::kInvalidArgument)
        << JwsAlgorithmName(key.algorithm);
  }
}

TEST(TokenSignerTest, SignRefusesInvalidClaims) {
  absl::StatusOr<TokenSigner> signer = TokenSigner::Create({"", JwsAlgorithm::kHs256, kTestSecret});
  ASSERT_TRUE(signer.ok());
  Claims claims = DaveClaims(absl::Now());
  claims.join_patterns = {"bad pattern"};
  EXPECT_EQ(signer->Sign(claims, absl::Now()).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard::gateway::auth
