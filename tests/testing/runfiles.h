#ifndef SWITCHBOARD_TESTS_TESTING_RUNFILES_H_
#define SWITCHBOARD_TESTS_TESTING_RUNFILES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace switchboard::testing {

// Directory holding this workspace's runfiles of the running test
// ($TEST_SRCDIR/$TEST_WORKSPACE); binaries listed in a test's `data` are found
// below it at their package path. Falls back to the current directory outside
// Bazel.
std::string RunfilesRoot();

// Path of a runfile given relative to the workspace root, e.g.
// Runfile("gateway/switchboard-gateway").
std::string Runfile(absl::string_view workspace_relative_path);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_TESTING_RUNFILES_H_
