// UnderThreadSanitizer agrees with race_probe, which answers the same
// question from a process of its own: both under --config=tsan, neither
// outside it.
#include "tests/tsan/under_tsan.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"

namespace switchboard::testing {
namespace {

TEST(UnderTsanTest, AgreesWithTheProbe) {
  auto probe = Subprocess::Start({Runfile("tests/tsan/race_probe"), "tsan"});
  ASSERT_TRUE(probe.ok()) << probe.status();
  absl::StatusOr<int> code = (*probe)->Wait(absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  ASSERT_TRUE(*code == 0 || *code == 1) << (*probe)->Log();
  EXPECT_EQ(UnderThreadSanitizer(), *code == 0);
}

}  // namespace
}  // namespace switchboard::testing
