#include "bench/presence_churn.h"

#include <vector>

#include "gtest/gtest.h"

namespace switchboard::bench {
namespace {

using Op = PresenceChurn::Op;
using OpKind = PresenceChurn::OpKind;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000 * kMs;

// Takes what is due every millisecond up to `until_ns`, answering each
// operation `answer_after_ns` after it was scheduled (never, if negative).
std::vector<Op> Drive(PresenceChurn& churn, int64_t until_ns, int64_t answer_after_ns) {
  std::vector<Op> all;
  for (int64_t now = 0; now <= until_ns; now += kMs) {
    std::vector<Op> due;
    churn.TakeDue(now, &due);
    for (const Op& op : due) {
      all.push_back(op);
      if (answer_after_ns < 0) continue;
      if (op.kind == OpKind::kJoin) {
        EXPECT_TRUE(churn.OnJoined(op.connection, op.scheduled_ns + answer_after_ns));
      } else {
        EXPECT_TRUE(churn.OnLeft(op.connection, op.scheduled_ns + answer_after_ns));
      }
    }
  }
  return all;
}

TEST(PresenceChurnTest, EvenConnectionsStartJoined) {
  EXPECT_TRUE(PresenceChurn::StartsJoined(0));
  EXPECT_FALSE(PresenceChurn::StartsJoined(1));
  EXPECT_TRUE(PresenceChurn::StartsJoined(2));
}

TEST(PresenceChurnTest, OneJoinAndOneLeavePerIntervalRoundRobin) {
  PresenceChurn churn(4, /*joins_per_second=*/10);
  churn.Start(0, 0, kSecond);
  const std::vector<Op> ops = Drive(churn, 2 * kSecond, /*answer_after_ns=*/kMs);

  // 20 operations at 50 ms spacing, connections 0,1,2,3,0,1,...; each flips
  // its connection, so kinds alternate leave, join, leave, join...
  ASSERT_EQ(ops.size(), 20u);
  for (size_t k = 0; k < ops.size(); ++k) {
    EXPECT_EQ(ops[k].connection, static_cast<int>(k % 4)) << k;
    EXPECT_EQ(ops[k].scheduled_ns, static_cast<int64_t>(k) * 50 * kMs) << k;
    const bool starts_joined = PresenceChurn::StartsJoined(ops[k].connection);
    const bool odd_pass = (k / 4) % 2 == 1;
    EXPECT_EQ(ops[k].kind, starts_joined != odd_pass ? OpKind::kLeave : OpKind::kJoin) << k;
  }
  const PresenceChurn::Counts c = churn.counts();
  EXPECT_EQ(c.joins, 10u);
  EXPECT_EQ(c.joined, 10u);
  EXPECT_EQ(c.leaves, 10u);
  EXPECT_EQ(c.left, 10u);
  EXPECT_EQ(c.skipped, 0u);
  EXPECT_EQ(c.unanswered, 0u);
  EXPECT_EQ(c.join_errors + c.leave_errors, 0u);
  EXPECT_TRUE(churn.Idle());
  EXPECT_TRUE(churn.Done());
  EXPECT_EQ(churn.join_latency().count(), 10u);
  EXPECT_EQ(churn.join_latency().max(), 1000);  // 1 ms, in microseconds.
}

TEST(PresenceChurnTest, LatencyIsFromTheScheduledTime) {
  PresenceChurn churn(2, 1);
  churn.Start(0, 0, kSecond);
  std::vector<Op> due;
  churn.TakeDue(300 * kMs, &due);  // The generator woke up late.
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].scheduled_ns, 0);
  ASSERT_EQ(due[0].kind, OpKind::kLeave);
  EXPECT_TRUE(churn.OnLeft(0, 302 * kMs));
  EXPECT_EQ(churn.leave_latency().max(), 302'000);
}

TEST(PresenceChurnTest, OperationsOfAConnectionStillWaitingAreSkipped) {
  PresenceChurn churn(4, 10);
  churn.Start(0, 0, kSecond);
  const std::vector<Op> ops = Drive(churn, kSecond, /*answer_after_ns=*/-1);
  EXPECT_EQ(ops.size(), 4u);  // The first pass only.
  const PresenceChurn::Counts c = churn.counts();
  EXPECT_EQ(c.skipped, 16u);
  EXPECT_EQ(c.unanswered, 4u);
  EXPECT_FALSE(churn.Idle());
  EXPECT_TRUE(churn.HasPending(1, OpKind::kJoin));
  EXPECT_FALSE(churn.HasPending(1, OpKind::kLeave));
}

TEST(PresenceChurnTest, AnswersWithoutAPendingOperationAreIgnored) {
  PresenceChurn churn(2, 10);
  churn.Start(0, 0, kSecond);
  EXPECT_FALSE(churn.OnJoined(1, 5 * kMs));  // Nothing sent yet.
  std::vector<Op> due;
  churn.TakeDue(0, &due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(churn.OnJoined(0, kMs));  // Connection 0 was asked to leave.
  EXPECT_TRUE(churn.OnLeft(0, kMs));
  EXPECT_FALSE(churn.OnLeft(0, 2 * kMs));  // Answered already.
  EXPECT_EQ(churn.counts().left, 1u);
}

TEST(PresenceChurnTest, ErrorsAndClosesFailThePendingOperation) {
  PresenceChurn churn(2, 10);
  churn.Start(0, 0, kSecond);
  std::vector<Op> due;
  churn.TakeDue(50 * kMs, &due);  // Leave for 0, join for 1.
  ASSERT_EQ(due.size(), 2u);
  churn.OnError(1);  // The join was refused: 1 is out.
  churn.OnClosed(0);
  PresenceChurn::Counts c = churn.counts();
  EXPECT_EQ(c.join_errors, 1u);
  EXPECT_EQ(c.leave_errors, 1u);
  EXPECT_TRUE(churn.Idle());

  due.clear();
  churn.TakeDue(150 * kMs, &due);  // Ops 2 (connection 0, closed) and 3 (1).
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].connection, 1);
  EXPECT_EQ(due[0].kind, OpKind::kJoin);  // Still out after the refused join.
  EXPECT_EQ(churn.counts().skipped, 1u);
}

TEST(PresenceChurnTest, WarmupOperationsAreNotMeasured) {
  PresenceChurn churn(4, 10);
  churn.Start(0, /*measure_start_ns=*/500 * kMs, kSecond);
  Drive(churn, kSecond, kMs);
  const PresenceChurn::Counts c = churn.counts();
  EXPECT_EQ(c.joins + c.leaves, 10u);  // 500, 550, ..., 950 ms.
  EXPECT_EQ(c.joined + c.left, 10u);
  EXPECT_EQ(churn.join_latency().count() + churn.leave_latency().count(), 10u);
}

}  // namespace
}  // namespace switchboard::bench
