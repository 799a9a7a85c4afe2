#include "gateway/auth/jws_compact.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard::gateway::auth {
namespace {

TEST(Base64UrlTest, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    EXPECT_EQ(Base64UrlDecode(encoded), std::string(plain)) << encoded;
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64UrlTest, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes) << i;
    bytes.push_back(static_cast<char>(i * 37 + 11));
  }
}

TEST(Base64UrlTest, RefusesAnythingButTheOneCanonicalEncoding) {
  for (const char* text :
       {"Zg==", "Zm8=", "Z", "Zm9vY", "+/8", "Zm 9v", "Zm9v\n", "Zh", "Zm9", "Zm-", "\xff\xfe"}) {
    EXPECT_EQ(Base64UrlDecode(text), std::nullopt) << text;
  }
}

TEST(ParseJsonObjectTest, AcceptsObjects) {
  absl::StatusOr<nlohmann::json> value = ParseJsonObject(R"({"a":1,"b":{"a":2}})");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ((*value)["b"]["a"], 2);
}

TEST(ParseJsonObjectTest, RefusesOtherValuesDuplicatesAndBadText) {
  for (const char* text :
       {"", "[]", "1", "\"x\"", "null", "{", "{\"a\":1}x", "{'a':1}", "{\"a\":1,\"a\":2}",
        "{\"sub\":\"x\",\"b\":0,\"sub\":\"y\"}", "{\"a\":\"\xff\"}", "{\"a\":1 /* c */}"}) {
    EXPECT_EQ(ParseJsonObject(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseJsonObjectTest, DeepNestingDoesNotCrash) {
  std::string deep = absl::StrCat("{\"a\":", std::string(5000, '['), std::string(5000, ']'), "}");
  EXPECT_TRUE(ParseJsonObject(deep).ok());
}

TEST(ParseCompactJwsTest, SplitsAndDecodes) {
  std::string token = absl::StrCat(EncodeSigningInput(R"({"alg":"HS256"})", R"({"sub":"u"})"), ".",
                                   Base64UrlEncode("sig"));
  absl::StatusOr<CompactJws> jws = ParseCompactJws(token);
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->header["alg"], "HS256");
  EXPECT_EQ(jws->payload, R"({"sub":"u"})");
  EXPECT_EQ(jws->signature, "sig");
  EXPECT_EQ(jws->signing_input, token.substr(0, token.rfind('.')));
}

TEST(ParseCompactJwsTest, RefusesBadShapes) {
  std::string header = Base64UrlEncode(R"({"alg":"HS256"})");
  std::string payload = Base64UrlEncode("{}");
  for (const std::string& token : std::initializer_list<std::string>{
           "", ".", "..", "abc", absl::StrCat(header, ".", payload),
           absl::StrCat(header, ".", payload, "."), absl::StrCat(header, "..c2ln"),
           absl::StrCat(".", payload, ".c2ln"), absl::StrCat(header, ".", payload, ".c2ln.x"),
           absl::StrCat(header, ".", payload, ".c2ln="), absl::StrCat("!!", ".", payload, ".c2ln"),
           absl::StrCat(Base64UrlEncode("not json"), ".", payload, ".c2ln"),
           absl::StrCat(Base64UrlEncode("[1]"), ".", payload, ".c2ln")}) {
    EXPECT_EQ(ParseCompactJws(token).status().code(), absl::StatusCode::kInvalidArgument) << token;
  }
}

}  // namespace
}  // namespace switchboard::gateway::auth
