#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace testing {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, CreatesEmptyDirectoryUnderTestTmpdir) {
  TempDir dir("mine");
  ASSERT_TRUE(fs::is_directory(dir.path()));
  EXPECT_TRUE(fs::is_empty(dir.path()));
  const char* root = getenv("TEST_TMPDIR");
  ASSERT_NE(root, nullptr) << "run under bazel test";
  EXPECT_TRUE(absl::StartsWith(dir.path(), std::string(root) + "/mine."));
}

TEST(TempDirTest, EachInstanceIsDistinct) {
  TempDir a;
  TempDir b;
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDirTest, DestructorRemovesEverythingInside) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    fs::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/file") << "data";
    std::ofstream(path + "/top") << "data";
    ASSERT_TRUE(fs::exists(path + "/a/b/file"));
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
