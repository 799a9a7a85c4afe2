#include "clients/cpp/backoff.h"

#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

TEST(BackoffTest, CeilingDoublesUpToTheCap) {
  Backoff backoff(absl::Milliseconds(100), absl::Milliseconds(1000));
  const absl::Duration expected[] = {
      absl::Milliseconds(100),  absl::Milliseconds(200),
      absl::Milliseconds(400),  absl::Milliseconds(800),
      absl::Milliseconds(1000), absl::Milliseconds(1000)};
  for (absl::Duration ceiling : expected) {
    EXPECT_EQ(backoff.CurrentCeiling(), ceiling);
    absl::Duration delay = backoff.NextDelay();
    EXPECT_GE(delay, absl::ZeroDuration());
    EXPECT_LE(delay, ceiling);
  }
  EXPECT_EQ(backoff.attempts(), 6);
  backoff.Reset();
  EXPECT_EQ(backoff.CurrentCeiling(), absl::Milliseconds(100));
}

TEST(BackoffTest, FullJitterSpreadsOverTheWholeWindow) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(1));
  absl::Duration low = absl::InfiniteDuration();
  absl::Duration high = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    absl::Duration delay = backoff.NextDelay();
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  // 1000 uniform draws: both ends are reached within 5% with overwhelming
  // probability (failure chance ~2 * 0.95^1000, about 1e-22).
  EXPECT_LT(low, absl::Milliseconds(50));
  EXPECT_GT(high, absl::Milliseconds(950));
  EXPECT_LE(high, absl::Seconds(1));
}

TEST(BackoffTest, HugeAttemptCountsNeitherOverflowNorExceedTheCap) {
  Backoff backoff(absl::Nanoseconds(1), absl::Hours(1));
  for (int i = 0; i < 200; ++i) backoff.NextDelay();
  EXPECT_EQ(backoff.CurrentCeiling(), absl::Hours(1));
  EXPECT_LE(backoff.NextDelay(), absl::Hours(1));
  Backoff zero(absl::ZeroDuration(), absl::ZeroDuration());
  EXPECT_EQ(zero.NextDelay(), absl::ZeroDuration());
}

}  // namespace
}  // namespace client
}  // namespace switchboard
