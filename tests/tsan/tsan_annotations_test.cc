// Checks the --config=tsan setup on race_probe: synchronization through
// Debian's uninstrumented Abseil is seen by ThreadSanitizer (no report), and
// real races are still reported. Outside --config=tsan the probe runs
// uninstrumented: the clean modes must still work, the racy ones are skipped.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"

namespace switchboard::testing {
namespace {

// TSan's exit code when it reported something.
constexpr int kTsanExitCode = 66;

struct ProbeResult {
  int exit_code = -1;
  std::string log;
};

ProbeResult Probe(const std::string& mode) {
  auto child = Subprocess::Start({Runfile("tests/tsan/race_probe"), mode});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return {};
  absl::StatusOr<int> code = (*child)->Wait(absl::Seconds(60));
  EXPECT_TRUE(code.ok()) << code.status();
  return {code.value_or(-1), (*child)->Log()};
}

bool UnderTsan() { return Probe("tsan").exit_code == 0; }

class TsanAnnotationsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TsanAnnotationsTest, SynchronizedCodeIsNotReported) {
  const ProbeResult run = Probe(GetParam());
  EXPECT_EQ(run.exit_code, 0) << run.log;
  EXPECT_FALSE(absl::StrContains(run.log, "ThreadSanitizer")) << run.log;
}

INSTANTIATE_TEST_SUITE_P(Modes, TsanAnnotationsTest,
                         ::testing::Values("await", "condvar", "notification", "counter",
                                           "status"));

TEST(TsanAnnotationsTest, RacesAreStillReported) {
  if (!UnderTsan()) GTEST_SKIP() << "not built with --config=tsan";
  for (const char* mode : {"unlocked", "half_locked"}) {
    const ProbeResult run = Probe(mode);
    EXPECT_EQ(run.exit_code, kTsanExitCode) << mode << "\n" << run.log;
    EXPECT_TRUE(absl::StrContains(run.log, "WARNING: ThreadSanitizer: data race"))
        << mode << "\n" << run.log;
    EXPECT_TRUE(absl::StrContains(run.log, "tests/tsan/race_probe.cc")) << mode << "\n" << run.log;
  }
}

}  // namespace
}  // namespace switchboard::testing
