#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard {
namespace testing {

TempDir::TempDir(absl::string_view prefix) {
  const char* root = getenv("TEST_TMPDIR");
  if (root == nullptr || *root == '\0') root = "/tmp";
  std::string tmpl = absl::StrCat(root, "/", prefix, ".XXXXXX");
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    fprintf(stderr, "TempDir: mkdtemp(%s) failed: %s\n", tmpl.c_str(), strerror(errno));
    abort();
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace testing
}  // namespace switchboard
