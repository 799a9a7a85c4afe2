#include "control/api_key_auth.h"

#include <fstream>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::control {
namespace {

TEST(ApiKeyAuthTest, DisabledAcceptsEverything) {
  ApiKeyAuth auth;
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.CheckAuthorization("", false).ok());
  EXPECT_TRUE(auth.Check({}).ok());
}

TEST(ApiKeyAuthTest, ChecksBearerKeys) {
  ApiKeyAuth auth({"k1", "second-key"});
  EXPECT_TRUE(auth.CheckAuthorization("Bearer k1", true).ok());
  EXPECT_TRUE(auth.CheckAuthorization("bearer second-key", true).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(auth.CheckAuthorization("", false)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth.CheckAuthorization("k1", true)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth.CheckAuthorization("Bearer ", true)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth.CheckAuthorization("Bearer k2", true)));
  EXPECT_TRUE(absl::IsUnauthenticated(auth.CheckAuthorization("Basic k1", true)));
  absl::Status wrong = auth.CheckAuthorization("Bearer secret-guess", true);
  EXPECT_EQ(wrong.message().find("secret-guess"), absl::string_view::npos)
      << "never echo a presented key";
}

TEST(ApiKeyAuthTest, ReadsKeysFileWithCommentsAndBlanks) {
  switchboard::testing::TempDir dir("keys");
  const std::string path = dir.path() + "/keys";
  {
    std::ofstream out(path);
    out << "# comment\n\n  alpha  \r\nbeta\n#gamma\n";
  }
  auto auth = ApiKeyAuth::FromFile(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ((*auth)->key_count(), 2u);
  EXPECT_TRUE((*auth)->CheckAuthorization("Bearer alpha", true).ok());
  EXPECT_TRUE((*auth)->CheckAuthorization("Bearer beta", true).ok());
  EXPECT_FALSE((*auth)->CheckAuthorization("Bearer #gamma", true).ok());
}

TEST(ApiKeyAuthTest, AKeysFileWithoutKeysOrMissingIsAnError) {
  switchboard::testing::TempDir dir("keys");
  const std::string path = dir.path() + "/keys";
  {
    std::ofstream out(path);
    out << "# nothing here\n\n";
  }
  EXPECT_TRUE(absl::IsInvalidArgument(ApiKeyAuth::FromFile(path).status()));
  EXPECT_TRUE(absl::IsNotFound(ApiKeyAuth::FromFile(dir.path() + "/missing").status()));
}

}  // namespace
}  // namespace switchboard::control
