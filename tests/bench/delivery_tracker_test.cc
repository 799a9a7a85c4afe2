#include "bench/delivery_tracker.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace switchboard::bench {
namespace {

using Totals = DeliveryTracker::Totals;

// Publishes `n` measured messages to `room` and acks each; returns the first seq.
uint32_t PublishAndAck(DeliveryTracker& t, int room, int n) {
  uint32_t first = 0;
  for (int i = 0; i < n; ++i) {
    const uint32_t seq = t.AddPublish(room, 1000 + i, /*measured=*/true);
    if (i == 0) first = seq;
    t.OnAck(room, seq);
  }
  return first;
}

TEST(DeliveryTrackerTest, SequenceNumbersAreDensePerRoom) {
  DeliveryTracker t(2, 0);
  EXPECT_EQ(t.AddPublish(0, 10, false), 0u);
  EXPECT_EQ(t.AddPublish(0, 20, true), 1u);
  EXPECT_EQ(t.AddPublish(1, 30, true), 0u);
  EXPECT_EQ(t.AddPublish(0, 40, true), 2u);
  EXPECT_EQ(t.ScheduledNs(0, 0), 10);
  EXPECT_EQ(t.ScheduledNs(0, 2), 40);
  EXPECT_EQ(t.ScheduledNs(1, 0), 30);
  EXPECT_FALSE(t.IsMeasured(0, 0));
  EXPECT_TRUE(t.IsMeasured(0, 1));
  // Out of range: unknown, never measured.
  EXPECT_EQ(t.ScheduledNs(0, 3), -1);
  EXPECT_EQ(t.ScheduledNs(1, 1), -1);
  EXPECT_EQ(t.ScheduledNs(2, 0), -1);
  EXPECT_EQ(t.ScheduledNs(-1, 0), -1);
  EXPECT_FALSE(t.IsMeasured(0, 3));
  EXPECT_FALSE(t.IsMeasured(5, 0));
  EXPECT_FALSE(t.IsMeasured(-1, 0));
}

TEST(DeliveryTrackerTest, ExactLostAndDuplicatedWithGapsAndRepeats) {
  DeliveryTracker t(1, 2);
  t.AssignReceiver(0, 0);
  t.AssignReceiver(1, 0);
  t.MarkJoined(0);
  t.MarkJoined(1);
  PublishAndAck(t, 0, 10);

  // Receiver 0: everything but 3 and 7, in a shuffled order.
  for (uint32_t seq : {0, 2, 1, 4, 6, 5, 9, 8}) EXPECT_TRUE(t.OnDelivered(0, 0, seq)) << seq;
  // Receiver 1: everything, with 2 repeated twice and 5 once.
  for (uint32_t seq = 0; seq < 10; ++seq) EXPECT_TRUE(t.OnDelivered(1, 0, seq)) << seq;
  EXPECT_FALSE(t.OnDelivered(1, 0, 2));
  EXPECT_FALSE(t.OnDelivered(1, 0, 2));
  EXPECT_FALSE(t.OnDelivered(1, 0, 5));

  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.published, 10u);
  EXPECT_EQ(totals.acked, 10u);
  EXPECT_EQ(totals.publish_errors, 0u);
  EXPECT_EQ(totals.unacked, 0u);
  EXPECT_EQ(totals.receivers, 2u);
  EXPECT_EQ(totals.expected, 20u);
  EXPECT_EQ(totals.received, 18u);
  EXPECT_EQ(totals.lost, 2u);
  EXPECT_EQ(totals.duplicated, 3u);
  EXPECT_FALSE(t.Complete());

  // The gaps fill in late: nothing lost any more, duplicates unchanged.
  EXPECT_TRUE(t.OnDelivered(0, 0, 3));
  EXPECT_TRUE(t.OnDelivered(0, 0, 7));
  EXPECT_TRUE(t.Complete());
  const Totals after = t.Summarize();
  EXPECT_EQ(after.received, 20u);
  EXPECT_EQ(after.lost, 0u);
  EXPECT_EQ(after.duplicated, 3u);
}

TEST(DeliveryTrackerTest, OutOfRangeAndForeignDeliveriesAreIgnored) {
  DeliveryTracker t(2, 1);
  t.AssignReceiver(0, 0);
  t.MarkJoined(0);
  PublishAndAck(t, 0, 3);
  PublishAndAck(t, 1, 3);

  EXPECT_FALSE(t.OnDelivered(0, 0, 3));           // Never published.
  EXPECT_FALSE(t.OnDelivered(0, 0, 1000000));     // Far past the end.
  EXPECT_FALSE(t.OnDelivered(0, 0, 0xFFFFFFFFu));  // Would overflow a resize.
  EXPECT_FALSE(t.OnDelivered(0, 1, 0));           // Another room's message.
  EXPECT_FALSE(t.OnDelivered(0, 7, 0));           // A room that does not exist.
  EXPECT_FALSE(t.OnDelivered(0, -1, 0));
  EXPECT_TRUE(t.OnDelivered(0, 0, 1));

  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.published, 6u);
  EXPECT_EQ(totals.expected, 3u);  // Only room 0 counts for receiver 0.
  EXPECT_EQ(totals.received, 1u);
  EXPECT_EQ(totals.lost, 2u);
  EXPECT_EQ(totals.duplicated, 0u);  // Ignored deliveries are not duplicates.
}

TEST(DeliveryTrackerTest, WarmupMessagesAreNeitherExpectedNorDuplicated) {
  DeliveryTracker t(1, 1);
  t.AssignReceiver(0, 0);
  t.MarkJoined(0);
  const uint32_t warm = t.AddPublish(0, 1, /*measured=*/false);
  t.OnAck(0, warm);
  const uint32_t measured = t.AddPublish(0, 2, /*measured=*/true);
  t.OnAck(0, measured);

  EXPECT_FALSE(t.OnDelivered(0, 0, warm));
  EXPECT_FALSE(t.OnDelivered(0, 0, warm));
  EXPECT_TRUE(t.OnDelivered(0, 0, measured));

  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.published, 1u);
  EXPECT_EQ(totals.acked, 1u);
  EXPECT_EQ(totals.expected, 1u);
  EXPECT_EQ(totals.received, 1u);
  EXPECT_EQ(totals.lost, 0u);
  EXPECT_EQ(totals.duplicated, 0u);
  EXPECT_TRUE(t.Complete());
}

TEST(DeliveryTrackerTest, RefusedPublishesAreNotExpectedButUnackedAre) {
  DeliveryTracker t(1, 3);
  for (int r = 0; r < 3; ++r) {
    t.AssignReceiver(r, 0);
    t.MarkJoined(r);
  }
  const uint32_t acked = t.AddPublish(0, 1, true);
  const uint32_t refused = t.AddPublish(0, 2, true);
  const uint32_t pending = t.AddPublish(0, 3, true);
  t.OnAck(0, acked);
  t.OnPublishError(0, refused);
  // Late answers for a settled message change nothing.
  t.OnAck(0, refused);
  t.OnPublishError(0, acked);
  // Answers for unknown messages are ignored.
  t.OnAck(0, 99);
  t.OnAck(-1, 0);
  t.OnAck(4, 0);
  t.OnPublishError(0, 99);
  t.OnPublishError(-1, 0);

  for (int r = 0; r < 3; ++r) EXPECT_TRUE(t.OnDelivered(r, 0, acked));
  EXPECT_FALSE(t.Complete());  // `pending` is unanswered.

  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.published, 3u);
  EXPECT_EQ(totals.acked, 1u);
  EXPECT_EQ(totals.publish_errors, 1u);
  EXPECT_EQ(totals.unacked, 1u);
  EXPECT_EQ(totals.receivers, 3u);
  EXPECT_EQ(totals.expected, 6u);  // (acked + pending) x 3 receivers.
  EXPECT_EQ(totals.received, 3u);
  EXPECT_EQ(totals.lost, 3u);

  t.OnAck(0, pending);
  EXPECT_FALSE(t.Complete());  // Acked now, but nobody has it yet.
  for (int r = 0; r < 3; ++r) EXPECT_TRUE(t.OnDelivered(r, 0, pending));
  EXPECT_TRUE(t.Complete());
  EXPECT_EQ(t.Summarize().lost, 0u);
}

TEST(DeliveryTrackerTest, OnlyJoinedReceiversExpectMessages) {
  DeliveryTracker t(1, 4);
  t.AssignReceiver(0, 0);
  t.AssignReceiver(1, 0);
  t.AssignReceiver(2, 0);
  // Receiver 3 is never assigned: MarkJoined on it does nothing.
  t.MarkJoined(0);
  t.MarkJoined(0);  // Re-joining after a reconnect counts once.
  t.MarkJoined(1);
  t.MarkJoined(3);
  PublishAndAck(t, 0, 5);
  for (uint32_t seq = 0; seq < 5; ++seq) {
    EXPECT_TRUE(t.OnDelivered(0, 0, seq));
    EXPECT_TRUE(t.OnDelivered(1, 0, seq));
  }
  EXPECT_TRUE(t.Complete());

  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.receivers, 2u);
  EXPECT_EQ(totals.expected, 10u);
  EXPECT_EQ(totals.received, 10u);
  EXPECT_EQ(totals.lost, 0u);
}

TEST(DeliveryTrackerTest, ManyRoomsEveryReceiverMissesOneMessage) {
  constexpr int kRooms = 4;
  constexpr int kPerRoom = 5;
  constexpr int kMessages = 2000;  // Past the 1024-entry growth step of the bitset.
  DeliveryTracker t(kRooms, kRooms * kPerRoom);
  for (int r = 0; r < kRooms * kPerRoom; ++r) {
    t.AssignReceiver(r, r % kRooms);
    t.MarkJoined(r);
  }
  for (int room = 0; room < kRooms; ++room) PublishAndAck(t, room, kMessages);
  for (int r = 0; r < kRooms * kPerRoom; ++r) {
    const uint32_t skip = static_cast<uint32_t>(r * 97 % kMessages);
    for (uint32_t seq = kMessages; seq-- > 0;) {  // Newest first: grows the bitset early.
      if (seq != skip) {
        EXPECT_TRUE(t.OnDelivered(r, r % kRooms, seq));
      }
    }
    if (r % 2 == 0) {
      EXPECT_FALSE(t.OnDelivered(r, r % kRooms, (skip + 1) % kMessages));
    }
  }
  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.published, uint64_t{kRooms} * kMessages);
  EXPECT_EQ(totals.expected, uint64_t{kRooms} * kPerRoom * kMessages);
  EXPECT_EQ(totals.lost, uint64_t{kRooms} * kPerRoom);
  EXPECT_EQ(totals.received, totals.expected - totals.lost);
  EXPECT_EQ(totals.duplicated, uint64_t{kRooms} * kPerRoom / 2);
  EXPECT_FALSE(t.Complete());
}

TEST(DeliveryTrackerTest, EmptyTrackerIsComplete) {
  DeliveryTracker t(3, 3);
  EXPECT_TRUE(t.Complete());
  const Totals totals = t.Summarize();
  EXPECT_EQ(totals.published, 0u);
  EXPECT_EQ(totals.expected, 0u);
  EXPECT_EQ(totals.lost, 0u);
  EXPECT_EQ(totals.receivers, 0u);
}

}  // namespace
}  // namespace switchboard::bench
