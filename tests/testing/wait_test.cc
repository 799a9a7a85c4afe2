#include "tests/testing/wait.h"

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace testing {
namespace {

TEST(WaitForTest, TrueConditionReturnsAtOnce) {
  int calls = 0;
  const absl::Time start = absl::Now();
  EXPECT_TRUE(WaitFor(
      [&] {
        ++calls;
        return true;
      },
      absl::Seconds(10)));
  EXPECT_EQ(calls, 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST(WaitForTest, PollsUntilConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 5; }, absl::Seconds(10), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 5);
}

TEST(WaitForTest, SeesAnotherThreadsChange) {
  std::atomic<bool> flag{false};
  std::thread setter([&] { flag = true; });
  EXPECT_TRUE(WaitFor([&] { return flag.load(); }, absl::Seconds(10)));
  setter.join();
}

TEST(WaitForTest, GivesUpAtTheDeadlineAfterALastCheck) {
  const absl::Duration timeout = absl::Milliseconds(100);
  const absl::Time start = absl::Now();
  absl::Time last_call;
  EXPECT_FALSE(WaitFor(
      [&] {
        last_call = absl::Now();
        return false;
      },
      timeout, absl::Milliseconds(30)));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, timeout);
  EXPECT_LT(elapsed, absl::Seconds(2));
  EXPECT_GE(last_call - start, timeout);
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
