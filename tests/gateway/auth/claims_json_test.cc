#include "gateway/auth/claims_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/auth/auth_failure.h"
#include "gtest/gtest.h"

namespace switchboard::gateway::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kLeeway = absl::Seconds(5);

std::string Exp(absl::Time time) { return absl::StrCat(absl::ToUnixSeconds(time)); }

absl::StatusOr<Claims> Parse(const std::string& json, absl::Time now = kNow) {
  return ParseClaimsJson(json, now, kLeeway);
}

std::optional<AuthFailureReason> ReasonOf(const absl::StatusOr<Claims>& result) {
  return GetAuthFailureReason(result.status());
}

TEST(ClaimsJsonTest, ReadsAllClaims) {
  absl::StatusOr<Claims> claims = Parse(absl::StrCat(
      R"({"sub":"alice","iat":1699999000,"nbf":1699999000,"exp":)", Exp(kNow + absl::Hours(1)),
      R"(,"rooms":["chat:*","lobby"],"publish":["chat:ops"],"meta":{"name":"Alice","n":[1,2]},)",
      R"("iss":"ignored","aud":["ignored"]})"));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->user_id, "alice");
  EXPECT_EQ(claims->expires_at, kNow + absl::Hours(1));
  EXPECT_EQ(claims->join_patterns, (std::vector<std::string>{"chat:*", "lobby"}));
  EXPECT_EQ(claims->publish_patterns, (std::vector<std::string>{"chat:ops"}));
  EXPECT_EQ(claims->meta_json, R"({"n":[1,2],"name":"Alice"})");
}

TEST(ClaimsJsonTest, PublishDefaultsToRoomsAndEmptyMeansReadOnly) {
  std::string exp = Exp(kNow + absl::Hours(1));
  absl::StatusOr<Claims> same =
      Parse(absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":["a*"]})"));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->publish_patterns, std::vector<std::string>{"a*"});
  EXPECT_TRUE(same->meta_json.empty());

  absl::StatusOr<Claims> read_only =
      Parse(absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":["a*"],"publish":[]})"));
  ASSERT_TRUE(read_only.ok()) << read_only.status();
  EXPECT_TRUE(read_only->publish_patterns.empty());
  EXPECT_TRUE(read_only->CanJoin("ab"));
  EXPECT_FALSE(read_only->CanPublish("ab"));

  absl::StatusOr<Claims> nothing =
      Parse(absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"meta":null})"));
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_TRUE(nothing->join_patterns.empty());
  EXPECT_TRUE(nothing->meta_json.empty());
}

TEST(ClaimsJsonTest, ExpiryEdgesWithLeeway) {
  std::string json = absl::StrCat(R"({"sub":"u","exp":)", Exp(kNow), "}");
  EXPECT_TRUE(Parse(json, kNow).ok());
  EXPECT_TRUE(Parse(json, kNow + kLeeway - absl::Milliseconds(1)).ok());
  EXPECT_EQ(ReasonOf(Parse(json, kNow + kLeeway)), AuthFailureReason::kExpired);
  EXPECT_EQ(ReasonOf(Parse(json, kNow + absl::Hours(1))), AuthFailureReason::kExpired);
  EXPECT_EQ(ReasonOf(ParseClaimsJson(json, kNow, absl::ZeroDuration())),
            AuthFailureReason::kExpired);
  EXPECT_TRUE(ParseClaimsJson(json, kNow - absl::Milliseconds(1), absl::ZeroDuration()).ok());
}

TEST(ClaimsJsonTest, FractionalNumericDates) {
  std::string json = absl::StrCat(R"({"sub":"u","exp":1700000000.5})");
  EXPECT_TRUE(ParseClaimsJson(json, kNow + absl::Milliseconds(499), absl::ZeroDuration()).ok());
  EXPECT_FALSE(ParseClaimsJson(json, kNow + absl::Milliseconds(500), absl::ZeroDuration()).ok());
}

TEST(ClaimsJsonTest, NotBeforeEdgesWithLeeway) {
  std::string exp = Exp(kNow + absl::Hours(1));
  std::string at_limit =
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"nbf":)", Exp(kNow + kLeeway), "}");
  EXPECT_TRUE(Parse(at_limit).ok());
  std::string past_limit = absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"nbf":)",
                                        Exp(kNow + kLeeway + absl::Seconds(1)), "}");
  EXPECT_EQ(ReasonOf(Parse(past_limit)), AuthFailureReason::kNotYetValid);
  EXPECT_TRUE(Parse(past_limit, kNow + absl::Seconds(1)).ok());
}

TEST(ClaimsJsonTest, RefusesBadClaims) {
  std::string exp = Exp(kNow + absl::Hours(1));
  const std::string bad[] = {
      absl::StrCat(R"({"exp":)", exp, "}"),
      absl::StrCat(R"({"sub":"","exp":)", exp, "}"),
      absl::StrCat(R"({"sub":42,"exp":)", exp, "}"),
      absl::StrCat(R"({"sub":")", std::string(129, 'u'), R"(","exp":)", exp, "}"),
      absl::StrCat(R"({"sub":"a\nb","exp":)", exp, "}"),
      absl::StrCat(R"({"sub":"a\u0000b","exp":)", exp, "}"),
      R"({"sub":"u"})",
      R"({"sub":"u","exp":"1800000000"})",
      R"({"sub":"u","exp":true})",
      R"({"sub":"u","exp":null})",
      R"({"sub":"u","exp":-1})",
      R"({"sub":"u","exp":1e300})",
      R"({"sub":"u","exp":18446744073709551615})",
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"nbf":"soon"})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"iat":[]})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":"*"})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":[1]})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":["chat.*"]})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":["ok",""]})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"rooms":["a"],"publish":["a>"]})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"meta":"x"})"),
      absl::StrCat(R"({"sub":"u","exp":)", exp, R"(,"meta":[1]})"),
  };
  for (const std::string& json : bad) {
    absl::StatusOr<Claims> claims = Parse(json);
    EXPECT_EQ(ReasonOf(claims), AuthFailureReason::kBadClaims) << json << " " << claims.status();
  }
  // Bad claims win over expiry: the issuer is broken, not the client late.
  EXPECT_EQ(ReasonOf(Parse(R"({"sub":"","exp":1})")), AuthFailureReason::kBadClaims);
}

TEST(ClaimsJsonTest, PayloadMustBeOneObject) {
  for (const char* json : {"", "[]", "{", R"({"sub":"a","sub":"b","exp":1800000000})"}) {
    EXPECT_EQ(ReasonOf(Parse(json)), AuthFailureReason::kMalformed) << json;
  }
}

TEST(ClaimsJsonTest, RoundTrip) {
  Claims claims;
  claims.user_id = "bob";
  claims.expires_at = kNow + absl::Minutes(10);
  claims.join_patterns = {"*"};
  claims.publish_patterns = {"chat:*"};
  claims.meta_json = R"({"name":"Bob"})";
  absl::StatusOr<std::string> json = ClaimsToJson(claims, kNow);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("iat":1700000000)"), std::string::npos) << *json;
  absl::StatusOr<Claims> back = Parse(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->user_id, claims.user_id);
  EXPECT_EQ(back->expires_at, claims.expires_at);
  EXPECT_EQ(back->join_patterns, claims.join_patterns);
  EXPECT_EQ(back->publish_patterns, claims.publish_patterns);
  EXPECT_EQ(back->meta_json, claims.meta_json);
}

TEST(ClaimsJsonTest, EncodingRefusesWhatParsingWouldRefuse) {
  Claims good;
  good.user_id = "u";
  good.expires_at = kNow;
  ASSERT_TRUE(ClaimsToJson(good, kNow).ok());
  Claims bad = good;
  bad.user_id = "";
  EXPECT_FALSE(ClaimsToJson(bad, kNow).ok());
  bad = good;
  bad.join_patterns = {"a.b"};
  EXPECT_FALSE(ClaimsToJson(bad, kNow).ok());
  bad = good;
  bad.meta_json = "[1]";
  EXPECT_FALSE(ClaimsToJson(bad, kNow).ok());
  bad = good;
  bad.expires_at = absl::InfiniteFuture();
  EXPECT_FALSE(ClaimsToJson(bad, kNow).ok());
  bad = good;
  bad.user_id = "caf\xff";
  EXPECT_FALSE(ClaimsToJson(bad, kNow).ok());
}

}  // namespace
}  // namespace switchboard::gateway::auth
