#include "clients/cpp/inbox.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

TEST(InboxTest, PopsInOrderAndTimesOutWhenEmpty) {
  Inbox<int> inbox(10);
  EXPECT_TRUE(inbox.Push(1));
  EXPECT_TRUE(inbox.Push(2));
  EXPECT_EQ(inbox.Pop(absl::ZeroDuration()), 1);
  EXPECT_EQ(inbox.Pop(absl::ZeroDuration()), 2);
  const absl::Time start = absl::Now();
  EXPECT_EQ(inbox.Pop(absl::Milliseconds(50)), std::nullopt);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
}

TEST(InboxTest, DropsTheOldestWhenFull) {
  Inbox<int> inbox(2);
  inbox.Push(1);
  inbox.Push(2);
  EXPECT_FALSE(inbox.Push(3));
  EXPECT_EQ(inbox.dropped(), 1u);
  EXPECT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox.Pop(absl::ZeroDuration()), 2);
  EXPECT_EQ(inbox.Pop(absl::ZeroDuration()), 3);
}

TEST(InboxTest, CapacityZeroKeepsNothing) {
  Inbox<int> inbox(0);
  EXPECT_FALSE(inbox.Push(1));
  EXPECT_EQ(inbox.size(), 0u);
  EXPECT_EQ(inbox.dropped(), 1u);
}

TEST(InboxTest, WakesAWaitingReader) {
  Inbox<std::string> inbox(10);
  std::thread writer([&] { inbox.Push("hello"); });
  EXPECT_EQ(inbox.Pop(absl::Seconds(5)), "hello");
  writer.join();
}

}  // namespace
}  // namespace client
}  // namespace switchboard
