#include "gateway/auth/token_verifier.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/auth/auth_failure.h"
#include "gateway/auth/jws_compact.h"
#include "gateway/auth/token_signer.h"
#include "gtest/gtest.h"
#include "jwt/jwt.hpp"
#include "tests/gateway/auth/test_keys.h"

namespace switchboard::gateway::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const std::string kExp = absl::StrCat(1'700'000'000 + 3600);

KeyConfig HsKey(std::string kid = "", std::string secret = kTestSecret) {
  return {std::move(kid), JwsAlgorithm::kHs256, std::move(secret)};
}
KeyConfig RsPublic(std::string kid = "") {
  return {std::move(kid), JwsAlgorithm::kRs256, RsaKeyPair().public_pem};
}
KeyConfig RsPrivate(std::string kid = "") {
  return {std::move(kid), JwsAlgorithm::kRs256, RsaKeyPair().private_pem};
}
KeyConfig EsPublic(std::string kid = "") {
  return {std::move(kid), JwsAlgorithm::kEs256, EcKeyPair().public_pem};
}
KeyConfig EsPrivate(std::string kid = "") {
  return {std::move(kid), JwsAlgorithm::kEs256, EcKeyPair().private_pem};
}

TokenVerifier MakeVerifier(std::vector<KeyConfig> keys, absl::Duration leeway = absl::Seconds(5),
                           size_t max_token_bytes = 8192) {
  absl::StatusOr<TokenVerifier> verifier =
      TokenVerifier::Create({std::move(keys), leeway, max_token_bytes});
  if (!verifier.ok()) {
    ADD_FAILURE() << verifier.status();
    std::abort();
  }
  return *std::move(verifier);
}

Claims AliceClaims() {
  Claims claims;
  claims.user_id = "alice";
  claims.expires_at = kNow + absl::Hours(1);
  claims.join_patterns = {"chat:*", "lobby"};
  claims.publish_patterns = {"chat:ops"};
  claims.meta_json = R"({"color":"blue","name":"Alice"})";
  return claims;
}

std::string Sign(const KeyConfig& key, const Claims& claims, absl::Time now = kNow) {
  absl::StatusOr<TokenSigner> signer = TokenSigner::Create(key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  if (!signer.ok()) return "";
  absl::StatusOr<std::string> token = signer->Sign(claims, now);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.value_or("");
}

std::string SignPayload(const KeyConfig& key, absl::string_view payload) {
  absl::StatusOr<TokenSigner> signer = TokenSigner::Create(key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  if (!signer.ok()) return "";
  return signer->SignPayload(payload).value_or("");
}

// A token with any header, HMAC'ed with `secret`: what an attacker can build.
std::string HmacToken(absl::string_view secret, absl::string_view header,
                      absl::string_view payload) {
  std::string input = EncodeSigningInput(header, payload);
  return absl::StrCat(input, ".", Base64UrlEncode(HmacSha256(secret, input)));
}

std::string AlicePayload() {
  return absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"rooms":["chat:*"]})");
}

std::optional<AuthFailureReason> ReasonOf(const absl::StatusOr<Claims>& result) {
  EXPECT_FALSE(result.ok());
  if (!result.ok()) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(result.status().message().empty());
  }
  return GetAuthFailureReason(result.status());
}

TEST(TokenVerifierTest, AcceptsValidTokensOfEveryAlgorithm) {
  const std::pair<KeyConfig, KeyConfig> keys[] = {
      {HsKey(), HsKey()}, {RsPrivate(), RsPublic()}, {EsPrivate(), EsPublic()}};
  for (const auto& [signing_key, verification_key] : keys) {
    SCOPED_TRACE(JwsAlgorithmName(signing_key.algorithm));
    TokenVerifier verifier = MakeVerifier({verification_key});
    absl::StatusOr<Claims> claims = verifier.Verify(Sign(signing_key, AliceClaims()), kNow);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->user_id, "alice");
    EXPECT_EQ(claims->expires_at, kNow + absl::Hours(1));
    EXPECT_EQ(claims->join_patterns, AliceClaims().join_patterns);
    EXPECT_EQ(claims->publish_patterns, AliceClaims().publish_patterns);
    EXPECT_EQ(claims->meta_json, AliceClaims().meta_json);
  }
}

// Tokens from an independent implementation (cpp-jwt), signed with the wall
// clock because cpp-jwt has no other.
TEST(TokenVerifierTest, AcceptsTokensSignedByCppJwt) {
  const absl::Time now = absl::Now();
  const std::tuple<const char*, std::string, KeyConfig> cases[] = {
      {"HS256", kTestSecret, HsKey()},
      {"RS256", RsaKeyPair().private_pem, RsPublic()},
      {"ES256", EcKeyPair().private_pem, EsPublic()},
  };
  for (const auto& [alg, signing_key, verification_key] : cases) {
    SCOPED_TRACE(alg);
    std::string token;
    try {
      jwt::jwt_object object{jwt::params::algorithm(alg), jwt::params::secret(signing_key),
                             jwt::params::payload({{"sub", "carol"}})};
      object.add_claim("exp", absl::ToUnixSeconds(now + absl::Minutes(5)));
      object.add_claim("rooms", std::vector<std::string>{"*"});
      token = object.signature();
    } catch (const std::exception& e) {
      FAIL() << "cpp-jwt: " << e.what();
    }
    if (std::string(alg) == "ES256") {
      EXPECT_EQ(Base64UrlDecode(token.substr(token.rfind('.') + 1))->size(), 64u);
    }
    absl::StatusOr<Claims> claims = MakeVerifier({verification_key}).Verify(token, now);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->user_id, "carol");
    EXPECT_TRUE(claims->CanJoin("anything"));
  }
}

// RFC 7515 Appendix A.1: the specification's own HS256 example.
TEST(TokenVerifierTest, Rfc7515HmacVector) {
  std::optional<std::string> secret = Base64UrlDecode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  ASSERT_TRUE(secret.has_value());
  const std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  TokenVerifier verifier = MakeVerifier({HsKey("", *secret)});
  const absl::Time before_exp = absl::FromUnixSeconds(1300819000);
  // The signature passes; the example has no `sub`.
  EXPECT_EQ(ReasonOf(verifier.Verify(token, before_exp)), AuthFailureReason::kBadClaims);
  std::string tampered = token;
  tampered[tampered.size() - 2] = 'j';
  EXPECT_EQ(ReasonOf(verifier.Verify(tampered, before_exp)), AuthFailureReason::kBadSignature);
}

TEST(TokenVerifierTest, ExpiryWithLeeway) {
  Claims claims = AliceClaims();
  claims.expires_at = kNow;
  std::string token = Sign(HsKey(), claims, kNow - absl::Minutes(1));
  TokenVerifier verifier = MakeVerifier({HsKey()});
  EXPECT_TRUE(verifier.Verify(token, kNow).ok());
  EXPECT_TRUE(verifier.Verify(token, kNow + absl::Seconds(5) - absl::Milliseconds(1)).ok());
  EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow + absl::Seconds(5))), AuthFailureReason::kExpired);
  EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow + absl::Hours(24))), AuthFailureReason::kExpired);

  TokenVerifier strict = MakeVerifier({HsKey()}, absl::ZeroDuration());
  EXPECT_EQ(ReasonOf(strict.Verify(token, kNow)), AuthFailureReason::kExpired);
  EXPECT_TRUE(strict.Verify(token, kNow - absl::Milliseconds(1)).ok());
  TokenVerifier lenient = MakeVerifier({HsKey()}, absl::Seconds(30));
  EXPECT_TRUE(lenient.Verify(token, kNow + absl::Seconds(29)).ok());
}

TEST(TokenVerifierTest, NotBeforeWithLeeway) {
  std::string token =
      SignPayload(HsKey(), absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"nbf":1700000010})"));
  TokenVerifier verifier = MakeVerifier({HsKey()});
  EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow)), AuthFailureReason::kNotYetValid);
  EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow + absl::Seconds(5) - absl::Milliseconds(1))),
            AuthFailureReason::kNotYetValid);
  EXPECT_TRUE(verifier.Verify(token, kNow + absl::Seconds(5)).ok());
}

TEST(TokenVerifierTest, RefusesSignaturesByOtherKeys) {
  EXPECT_EQ(ReasonOf(MakeVerifier({HsKey()}).Verify(
                Sign(HsKey("", kOtherTestSecret), AliceClaims()), kNow)),
            AuthFailureReason::kBadSignature);
  TestKeyPair other_rsa = GenerateRsaKeyPair(2048);
  EXPECT_EQ(
      ReasonOf(MakeVerifier({RsPublic()})
                   .Verify(Sign({"", JwsAlgorithm::kRs256, other_rsa.private_pem}, AliceClaims()),
                           kNow)),
      AuthFailureReason::kBadSignature);
  TestKeyPair other_ec = GenerateEcKeyPair("P-256");
  EXPECT_EQ(
      ReasonOf(
          MakeVerifier({EsPublic()})
              .Verify(Sign({"", JwsAlgorithm::kEs256, other_ec.private_pem}, AliceClaims()), kNow)),
      AuthFailureReason::kBadSignature);
}

TEST(TokenVerifierTest, RefusesTamperedTokens) {
  TokenVerifier verifier = MakeVerifier({HsKey(), EsPublic()});
  for (const KeyConfig& key : {HsKey(), EsPrivate()}) {
    std::string token = Sign(key, AliceClaims());
    size_t first_dot = token.find('.');
    size_t last_dot = token.rfind('.');
    // Same signature, a payload granting every room.
    std::string escalated = absl::StrCat(
        token.substr(0, first_dot + 1),
        Base64UrlEncode(absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"rooms":["*"]})")),
        token.substr(last_dot));
    EXPECT_EQ(ReasonOf(verifier.Verify(escalated, kNow)), AuthFailureReason::kBadSignature);
    // Same signature, another header.
    std::string header =
        absl::StrCat(R"({"alg":")", JwsAlgorithmName(key.algorithm), R"(","typ":"JWT","x":1})");
    std::string reheaded = absl::StrCat(Base64UrlEncode(header), token.substr(first_dot));
    EXPECT_EQ(ReasonOf(verifier.Verify(reheaded, kNow)), AuthFailureReason::kBadSignature);
  }
}

TEST(TokenVerifierTest, RefusesAlgNoneAndUnknownAlgorithms) {
  TokenVerifier verifier = MakeVerifier({HsKey()});
  std::string payload = Base64UrlEncode(AlicePayload());
  // The classic unsigned token has an empty third part.
  EXPECT_EQ(ReasonOf(verifier.Verify(
                absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", payload, "."), kNow)),
            AuthFailureReason::kMalformed);
  for (const char* alg : {"none", "None", "NONE", "nOnE", "hs256", "HS384", "HS512", "PS256", ""}) {
    std::string token =
        HmacToken(kTestSecret, absl::StrCat(R"({"alg":")", alg, R"("})"), AlicePayload());
    EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow)), AuthFailureReason::kBadAlgorithm) << alg;
  }
  for (const char* header :
       {R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":null})", R"({"alg":["HS256"]})"}) {
    EXPECT_EQ(ReasonOf(verifier.Verify(HmacToken(kTestSecret, header, AlicePayload()), kNow)),
              AuthFailureReason::kMalformed)
        << header;
  }
}

// The attack: an RS256 verifier handed an HS256 token whose HMAC key is the
// server's (public) RSA key. The key's configured algorithm must decide.
TEST(TokenVerifierTest, RefusesAlgorithmConfusion) {
  const std::string public_pem = RsaKeyPair().public_pem;
  const std::string hs_header = R"({"alg":"HS256","typ":"JWT"})";
  std::string forged = HmacToken(public_pem, hs_header, AlicePayload());
  std::string forged_with_kid =
      HmacToken(public_pem, R"({"alg":"HS256","kid":"rsa"})", AlicePayload());

  TokenVerifier rsa_only = MakeVerifier({RsPublic("rsa")});
  EXPECT_EQ(ReasonOf(rsa_only.Verify(forged, kNow)), AuthFailureReason::kBadAlgorithm);
  EXPECT_EQ(ReasonOf(rsa_only.Verify(forged_with_kid, kNow)), AuthFailureReason::kBadAlgorithm);
  // With an HS256 key configured too, the forgery meets only the real secret.
  TokenVerifier mixed = MakeVerifier({HsKey(), RsPublic("rsa")});
  EXPECT_EQ(ReasonOf(mixed.Verify(forged, kNow)), AuthFailureReason::kBadSignature);
  EXPECT_EQ(ReasonOf(mixed.Verify(forged_with_kid, kNow)), AuthFailureReason::kBadAlgorithm);
  // Every other pairing of token algorithm and key algorithm.
  EXPECT_EQ(ReasonOf(MakeVerifier({EsPublic()}).Verify(Sign(RsPrivate(), AliceClaims()), kNow)),
            AuthFailureReason::kBadAlgorithm);
  EXPECT_EQ(ReasonOf(MakeVerifier({RsPublic()}).Verify(Sign(EsPrivate(), AliceClaims()), kNow)),
            AuthFailureReason::kBadAlgorithm);
  EXPECT_EQ(
      ReasonOf(MakeVerifier({RsPublic(), EsPublic()}).Verify(Sign(HsKey(), AliceClaims()), kNow)),
      AuthFailureReason::kBadAlgorithm);
  // An ES256 header on an RS256 signature, for a verifier holding both.
  std::string rs_token = Sign(RsPrivate(), AliceClaims());
  std::string relabelled = absl::StrCat(Base64UrlEncode(R"({"alg":"ES256","typ":"JWT"})"),
                                        rs_token.substr(rs_token.find('.')));
  EXPECT_EQ(ReasonOf(MakeVerifier({RsPublic(), EsPublic()}).Verify(relabelled, kNow)),
            AuthFailureReason::kBadSignature);
}

TEST(TokenVerifierTest, SelectsKeysByKid) {
  TokenVerifier verifier =
      MakeVerifier({HsKey("k1"), HsKey("k2", kOtherTestSecret), RsPublic("rsa"), EsPublic()});
  std::string payload = AlicePayload();
  EXPECT_TRUE(verifier.Verify(SignPayload(HsKey("k2", kOtherTestSecret), payload), kNow).ok());
  EXPECT_TRUE(verifier.Verify(SignPayload(RsPrivate("rsa"), payload), kNow).ok());
  // No kid: every key of the algorithm is tried (rotation without kids).
  EXPECT_TRUE(verifier.Verify(SignPayload(HsKey("", kOtherTestSecret), payload), kNow).ok());
  EXPECT_TRUE(verifier.Verify(SignPayload(EsPrivate(), payload), kNow).ok());
  // A kid pins the key: the right signature under the wrong kid fails.
  EXPECT_EQ(ReasonOf(verifier.Verify(SignPayload(HsKey("k1", kOtherTestSecret), payload), kNow)),
            AuthFailureReason::kBadSignature);
  EXPECT_EQ(ReasonOf(verifier.Verify(SignPayload(HsKey("k3"), payload), kNow)),
            AuthFailureReason::kUnknownKey);
  EXPECT_EQ(ReasonOf(verifier.Verify(HmacToken(kTestSecret, R"({"alg":"HS256","kid":""})", payload),
                                     kNow)),
            AuthFailureReason::kUnknownKey);
  EXPECT_EQ(ReasonOf(verifier.Verify(HmacToken(kTestSecret, R"({"alg":"HS256","kid":1})", payload),
                                     kNow)),
            AuthFailureReason::kMalformed);
  EXPECT_EQ(ReasonOf(verifier.Verify(SignPayload(HsKey("rsa"), payload), kNow)),
            AuthFailureReason::kBadAlgorithm);
  // A key configured without a kid is never picked by one.
  EXPECT_EQ(ReasonOf(MakeVerifier({HsKey()}).Verify(SignPayload(HsKey("k1"), payload), kNow)),
            AuthFailureReason::kUnknownKey);
}

TEST(TokenVerifierTest, RefusesMalformedTokens) {
  TokenVerifier verifier = MakeVerifier({HsKey()});
  std::string good = Sign(HsKey(), AliceClaims());
  std::string header = good.substr(0, good.find('.'));
  std::string signature = good.substr(good.rfind('.') + 1);
  const std::string bad[] = {
      "",
      "abc",
      "a.b",
      "a.b.c.d",
      "..",
      good + ".",
      good + "=",
      "Bearer " + good,
      " " + good,
      good + "\n",
      absl::StrCat("!!!.", Base64UrlEncode(AlicePayload()), ".", signature),
      absl::StrCat(header, ".", Base64UrlEncode(AlicePayload()), "=.", signature),
      absl::StrCat(Base64UrlEncode("{not json"), ".", Base64UrlEncode(AlicePayload()), ".",
                   signature),
      absl::StrCat(Base64UrlEncode("[1,2]"), ".", Base64UrlEncode(AlicePayload()), ".", signature),
      HmacToken(kTestSecret, R"({"alg":"HS256","alg":"HS256"})", AlicePayload()),
      HmacToken(kTestSecret, R"({"alg":"HS256","crit":["exp"]})", AlicePayload()),
      // Validly signed payloads that are not one JSON object.
      SignPayload(HsKey(), "not json"),
      SignPayload(HsKey(), R"(["alice"])"),
      SignPayload(HsKey(), absl::StrCat(R"({"sub":"alice","sub":"root","exp":)", kExp, "}")),
      std::string(8193, 'a'),
  };
  for (const std::string& token : bad) {
    EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow)), AuthFailureReason::kMalformed)
        << token.substr(0, 100);
  }
}

TEST(TokenVerifierTest, EnforcesTheSizeLimitBeforeAnythingElse) {
  Claims claims = AliceClaims();
  claims.meta_json = absl::StrCat(R"({"bio":")", std::string(7000, 'x'), R"("})");
  std::string token = Sign(HsKey(), claims);
  ASSERT_GT(token.size(), 8192u);
  EXPECT_EQ(ReasonOf(MakeVerifier({HsKey()}).Verify(token, kNow)), AuthFailureReason::kMalformed);
  EXPECT_TRUE(MakeVerifier({HsKey()}, absl::Seconds(5), 16384).Verify(token, kNow).ok());
  std::string small = Sign(HsKey(), AliceClaims());
  EXPECT_TRUE(MakeVerifier({HsKey()}, absl::Seconds(5), small.size()).Verify(small, kNow).ok());
  EXPECT_EQ(
      ReasonOf(MakeVerifier({HsKey()}, absl::Seconds(5), small.size() - 1).Verify(small, kNow)),
      AuthFailureReason::kMalformed);
}

TEST(TokenVerifierTest, RefusesBadClaims) {
  TokenVerifier verifier = MakeVerifier({HsKey()});
  const std::string payloads[] = {
      absl::StrCat(R"({"exp":)", kExp, "}"),
      absl::StrCat(R"({"sub":"","exp":)", kExp, "}"),
      absl::StrCat(R"({"sub":")", std::string(129, 'a'), R"(","exp":)", kExp, "}"),
      R"({"sub":"alice"})",
      absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"rooms":["chat.*"]})"),
      absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"rooms":["chat:*"],"publish":["a b"]})"),
      absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"meta":"name"})"),
  };
  for (const std::string& payload : payloads) {
    EXPECT_EQ(ReasonOf(verifier.Verify(SignPayload(HsKey(), payload), kNow)),
              AuthFailureReason::kBadClaims)
        << payload;
  }
}

TEST(TokenVerifierTest, RoomPatternsAndMetaPassThrough) {
  TokenVerifier verifier = MakeVerifier({HsKey()});
  absl::StatusOr<Claims> claims = verifier.Verify(
      SignPayload(HsKey(),
                  absl::StrCat(R"({"sub":"alice","exp":)", kExp, R"(,"rooms":["chat:*","lobby"],)",
                               R"("meta":{"name":"Alice","tags":["a"]}})")),
      kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_TRUE(claims->CanJoin("chat:42"));
  EXPECT_TRUE(claims->CanJoin("lobby"));
  EXPECT_FALSE(claims->CanJoin("lobby2"));
  EXPECT_FALSE(claims->CanJoin("admin"));
  EXPECT_TRUE(claims->CanPublish("chat:42"));  // No `publish`: same as `rooms`.
  EXPECT_EQ(claims->meta_json, R"({"name":"Alice","tags":["a"]})");

  absl::StatusOr<Claims> everything = verifier.Verify(
      SignPayload(HsKey(),
                  absl::StrCat(R"({"sub":"ops","exp":)", kExp, R"(,"rooms":["*"],"publish":[]})")),
      kNow);
  ASSERT_TRUE(everything.ok()) << everything.status();
  EXPECT_TRUE(everything->CanJoin("any:room"));
  EXPECT_FALSE(everything->CanPublish("any:room"));
  EXPECT_TRUE(everything->meta_json.empty());
}

// Every single-character change, truncation and insertion of a valid token
// is refused, and none of them crashes.
TEST(TokenVerifierTest, MutatedTokensNeverVerify) {
  TokenVerifier verifier = MakeVerifier({HsKey(), EsPublic()});
  for (const KeyConfig& key : {HsKey(), EsPrivate()}) {
    const std::string token = Sign(key, AliceClaims());
    ASSERT_TRUE(verifier.Verify(token, kNow).ok());
    for (size_t i = 0; i < token.size(); ++i) {
      for (char c : {'A', 'B', 'Q', 'g', '_', '-', '.', '=', '\0', '\xff'}) {
        if (token[i] == c) continue;
        std::string mutated = token;
        mutated[i] = c;
        ASSERT_FALSE(verifier.Verify(mutated, kNow).ok()) << i << " " << c;
      }
      ASSERT_FALSE(verifier.Verify(token.substr(0, i), kNow).ok()) << i;
      ASSERT_FALSE(
          verifier.Verify(absl::StrCat(token.substr(0, i), "A", token.substr(i)), kNow).ok())
          << i;
    }
  }
}

TEST(TokenVerifierTest, ConcurrentVerifyCalls) {
  const TokenVerifier verifier = MakeVerifier({HsKey("hs"), RsPublic("rs"), EsPublic("es")});
  const std::string tokens[] = {Sign(HsKey("hs"), AliceClaims()),
                                Sign(RsPrivate("rs"), AliceClaims()),
                                Sign(EsPrivate("es"), AliceClaims())};
  const std::string forged =
      HmacToken(kOtherTestSecret, R"({"alg":"HS256","kid":"hs"})", AlicePayload());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const std::string& token = tokens[(i + t) % 3];
        absl::StatusOr<Claims> claims = verifier.Verify(token, kNow);
        if (!claims.ok() || claims->user_id != "alice") failures.fetch_add(1);
        if (GetAuthFailureReason(verifier.Verify(forged, kNow).status()) !=
            AuthFailureReason::kBadSignature) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(TokenVerifierTest, CreateRefusesUnusableConfigurations) {
  auto create = [](std::vector<KeyConfig> keys, absl::Duration leeway = absl::Seconds(5)) {
    return TokenVerifier::Create({std::move(keys), leeway, 8192}).status();
  };
  EXPECT_TRUE(create({HsKey(), RsPublic(), EsPublic()}).ok());
  const std::vector<KeyConfig> bad[] = {
      {},
      {HsKey("", std::string(31, 's'))},
      {HsKey("", RsaKeyPair().public_pem)},
      {RsPrivate()},
      {{"", JwsAlgorithm::kRs256, EcKeyPair().public_pem}},
      {{"", JwsAlgorithm::kEs256, RsaKeyPair().public_pem}},
      {{"", JwsAlgorithm::kEs256, GenerateEcKeyPair("P-384").public_pem}},
      {{"", JwsAlgorithm::kRs256, GenerateRsaKeyPair(1024).public_pem}},
      {{"", JwsAlgorithm::kRs256, "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"}},
      {{"", JwsAlgorithm::kRs256, kTestSecret}},
      {HsKey("same"), RsPublic("same")},
  };
  for (const std::vector<KeyConfig>& keys : bad) {
    EXPECT_EQ(create(keys).code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(create({HsKey()}, absl::Seconds(-1)).ok());
  EXPECT_FALSE(create({HsKey()}, absl::Hours(2)).ok());
  EXPECT_FALSE(TokenVerifier::Create({{HsKey()}, absl::Seconds(5), 0}).ok());
}

}  // namespace
}  // namespace switchboard::gateway::auth
