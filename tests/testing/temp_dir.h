#ifndef SWITCHBOARD_TESTS_TESTING_TEMP_DIR_H_
#define SWITCHBOARD_TESTS_TESTING_TEMP_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace switchboard {
namespace testing {

// A fresh, empty directory under $TEST_TMPDIR (Bazel sets it; /tmp otherwise)
// that is removed with everything in it when the TempDir is destroyed.
// Creation failure aborts the test binary: a fixture without a scratch
// directory cannot run, and silently sharing one would couple tests.
// Not copyable or movable; hold it by value or in a unique_ptr.
class TempDir {
 public:
  // `prefix` names the directory ("<prefix>.XXXXXX") to make logs readable.
  explicit TempDir(absl::string_view prefix = "sbtest");
  ~TempDir();

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Absolute path, without a trailing slash.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_TEMP_DIR_H_
