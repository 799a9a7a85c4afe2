#include "common/worker_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

TEST(WorkerPoolTest, RunsTasksOnItsThreads) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(3, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.TrySubmit([&] { done.fetch_add(1); }));
    EXPECT_TRUE(switchboard::testing::WaitFor([&] { return done.load() == 50; }, absl::Seconds(5)));
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(WorkerPoolTest, RefusesWhenTheQueueIsFull) {
  absl::Notification release;
  absl::Notification running;
  WorkerPool pool(1, 2);
  ASSERT_TRUE(pool.TrySubmit([&] {
    running.Notify();
    release.WaitForNotification();
  }));
  running.WaitForNotification();  // the only thread is busy; the queue is empty
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {}));
  release.Notify();
}

TEST(WorkerPoolTest, DestructorRunsWhatIsQueued) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(1, 10);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.TrySubmit([&] { done.fetch_add(1); }));
  }
  EXPECT_EQ(done.load(), 5);
}

}  // namespace
}  // namespace switchboard
