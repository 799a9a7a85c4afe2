#include "gateway/connection_slot.h"

#include <utility>

#include "gtest/gtest.h"

namespace switchboard::gateway {
namespace {

using Kind = ConnectionSlot::Kind;

TEST(ConnectionSlotTest, AdmitsWithinTheLimitsThenRefusesThenTurnsAway) {
  ConnectionLimiter limiter(/*max_total=*/10, /*max_per_ip=*/2, /*max_refusing=*/1);
  ConnectionSlot a = ConnectionSlot::Claim(limiter, "10.0.0.1");
  ConnectionSlot b = ConnectionSlot::Claim(limiter, "10.0.0.1");
  EXPECT_EQ(a.kind(), Kind::kAdmitted);
  EXPECT_EQ(b.kind(), Kind::kAdmitted);
  // Over the per-IP limit: one refusal slot, then nothing.
  ConnectionSlot c = ConnectionSlot::Claim(limiter, "10.0.0.1");
  ConnectionSlot d = ConnectionSlot::Claim(limiter, "10.0.0.1");
  EXPECT_EQ(c.kind(), Kind::kRefusing);
  EXPECT_EQ(d.kind(), Kind::kNone);
  EXPECT_EQ(c.ip(), "10.0.0.1");
  // Another IP is not affected by this one's limit.
  EXPECT_EQ(ConnectionSlot::Claim(limiter, "10.0.0.2").kind(), Kind::kAdmitted);
  // A finished refusal frees its slot for the next one.
  c.Release();
  EXPECT_EQ(ConnectionSlot::Claim(limiter, "10.0.0.1").kind(), Kind::kRefusing);
}

TEST(ConnectionSlotTest, TheTotalLimitCountsEveryIp) {
  ConnectionLimiter limiter(/*max_total=*/2, /*max_per_ip=*/10, /*max_refusing=*/0);
  ConnectionSlot a = ConnectionSlot::Claim(limiter, "10.0.0.1");
  ConnectionSlot b = ConnectionSlot::Claim(limiter, "10.0.0.2");
  EXPECT_EQ(limiter.total(), 2);
  EXPECT_EQ(ConnectionSlot::Claim(limiter, "10.0.0.3").kind(), Kind::kNone);
}

TEST(ConnectionSlotTest, ReleasesExactlyOnceWhateverTheHandOvers) {
  ConnectionLimiter limiter(/*max_total=*/1, /*max_per_ip=*/1, /*max_refusing=*/0);
  {
    ConnectionSlot first = ConnectionSlot::Claim(limiter, "10.0.0.1");
    ASSERT_TRUE(first.admitted());
    // Handed from the TLS handshake to the upgrade to the connection.
    ConnectionSlot second(std::move(first));
    ConnectionSlot third;
    third = std::move(second);
    EXPECT_FALSE(first.admitted());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(limiter.total(), 1);
    third.Release();
    third.Release();  // idempotent
    EXPECT_EQ(limiter.total(), 0);
    EXPECT_EQ(third.ip(), "10.0.0.1");  // still known for logs after release
  }
  EXPECT_EQ(limiter.total(), 0);
  {
    ConnectionSlot held = ConnectionSlot::Claim(limiter, "10.0.0.1");
    EXPECT_EQ(limiter.total(), 1);
    // Assigning over a held slot gives the old claim back.
    held = ConnectionSlot();
    EXPECT_EQ(limiter.total(), 0);
    held = ConnectionSlot::Claim(limiter, "10.0.0.1");
  }
  // The destructor released it.
  EXPECT_EQ(limiter.total(), 0);
  EXPECT_TRUE(ConnectionSlot::Claim(limiter, "10.0.0.1").admitted());
}

}  // namespace
}  // namespace switchboard::gateway
