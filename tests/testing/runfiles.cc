#include "tests/testing/runfiles.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {

std::string RunfilesRoot() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return ".";
  return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "switchboard");
}

std::string Runfile(absl::string_view workspace_relative_path) {
  return absl::StrCat(RunfilesRoot(), "/", workspace_relative_path);
}

}  // namespace switchboard::testing
