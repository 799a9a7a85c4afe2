#include "bench/process_stats.h"

#include <unistd.h>

#include <chrono>
#include <climits>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace switchboard::bench {
namespace {

TEST(ProcessStatsTest, ReadsOwnProcess) {
  absl::StatusOr<ProcessStats::Sample> sample = ProcessStats::Read(getpid());
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_GE(sample->threads, 1);
  EXPECT_GT(sample->rss_bytes, 0);
  EXPECT_EQ(sample->rss_bytes % 1024, 0);  // VmRSS is reported in kB.
  EXPECT_GE(sample->cpu_seconds, 0);
}

TEST(ProcessStatsTest, RssGrowsWhenMemoryIsTouched) {
  absl::StatusOr<ProcessStats::Sample> before = ProcessStats::Read(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  std::vector<char> block(64 << 20, 1);  // 64 MiB, every page written.
  absl::StatusOr<ProcessStats::Sample> after = ProcessStats::Read(getpid());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GE(after->rss_bytes - before->rss_bytes, int64_t{32} << 20);
  EXPECT_EQ(block[block.size() - 1], 1);
}

TEST(ProcessStatsTest, CountsThreads) {
  absl::StatusOr<ProcessStats::Sample> before = ProcessStats::Read(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([released] { released.wait(); });
  absl::StatusOr<ProcessStats::Sample> during = ProcessStats::Read(getpid());
  release.set_value();
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->threads, before->threads + 3);
}

TEST(ProcessStatsTest, CpuTimeAdvancesUnderLoad) {
  absl::StatusOr<ProcessStats::Sample> before = ProcessStats::Read(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  // Spin until the kernel's tick-granular CPU counter moves, with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  volatile uint64_t sink = 0;
  absl::StatusOr<ProcessStats::Sample> after = before;
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1000000; ++i) sink = sink + i;
    after = ProcessStats::Read(getpid());
    ASSERT_TRUE(after.ok()) << after.status();
    if (after->cpu_seconds > before->cpu_seconds) break;
  }
  EXPECT_GT(after->cpu_seconds, before->cpu_seconds);
}

TEST(ProcessStatsTest, MissingProcessIsNotFound) {
  // Far above any pid_max the kernel allows (2^22), so never a live process.
  absl::StatusOr<ProcessStats::Sample> sample = ProcessStats::Read(INT_MAX);
  EXPECT_EQ(sample.status().code(), absl::StatusCode::kNotFound);
}

TEST(ProcessStatsTest, CpuPercent) {
  ProcessStats::Sample before, after;
  before.cpu_seconds = 10;
  after.cpu_seconds = 12.5;
  EXPECT_DOUBLE_EQ(ProcessStats::CpuPercent(before, after, 5), 50);
  EXPECT_DOUBLE_EQ(ProcessStats::CpuPercent(before, after, 1), 250);  // Over one core.
  EXPECT_DOUBLE_EQ(ProcessStats::CpuPercent(before, before, 3), 0);
  EXPECT_DOUBLE_EQ(ProcessStats::CpuPercent(before, after, 0), 0);
  EXPECT_DOUBLE_EQ(ProcessStats::CpuPercent(before, after, -1), 0);
}

}  // namespace
}  // namespace switchboard::bench
