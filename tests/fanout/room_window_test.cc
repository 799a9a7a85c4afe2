#include "fanout/room_window.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchboard::fanout {
namespace {

StoredMessage Msg(uint64_t offset, size_t bytes = 1) {
  StoredMessage m;
  m.offset = offset;
  m.publication.mutable_payload()->set_text(std::string(bytes, 'x'));
  return m;
}

std::shared_ptr<const StoredMessage> Shared(uint64_t offset, size_t bytes = 1) {
  return std::make_shared<const StoredMessage>(Msg(offset, bytes));
}

std::vector<uint64_t> Offsets(const std::optional<RoomWindow::Slice>& slice) {
  std::vector<uint64_t> out;
  if (slice.has_value()) {
    for (const auto& m : slice->messages) out.push_back(m.offset);
  }
  return out;
}

constexpr size_t kAll = 1000;

TEST(RoomWindowTest, EmptyWindowCoversNothing) {
  RoomWindow w(10, 1000);
  EXPECT_FALSE(w.Read(0, kAll, kAll).has_value());
  EXPECT_FALSE(w.Read(5, kAll, kAll).has_value());
}

TEST(RoomWindowTest, AppendsAChainAndReadsInsideIt) {
  RoomWindow w(10, 1000);
  w.Append(Shared(10), 4);
  w.Append(Shared(12), 10);
  w.Append(Shared(17), 12);
  EXPECT_EQ(w.prev(), 4u);
  EXPECT_EQ(w.head(), 17u);
  EXPECT_EQ(Offsets(w.Read(4, kAll, kAll)), (std::vector<uint64_t>{10, 12, 17}));
  // Any point inside the run, message offset or not: other rooms' offsets
  // lie between, and the run holds every message of this room there.
  EXPECT_EQ(Offsets(w.Read(11, kAll, kAll)), (std::vector<uint64_t>{12, 17}));
  auto at_head = w.Read(17, kAll, kAll);
  ASSERT_TRUE(at_head.has_value());
  EXPECT_TRUE(at_head->messages.empty());
  EXPECT_EQ(at_head->head, 17u);
  // Before the run or past its head: not known.
  EXPECT_FALSE(w.Read(3, kAll, kAll).has_value());
  EXPECT_FALSE(w.Read(18, kAll, kAll).has_value());
}

TEST(RoomWindowTest, AGapRestartsTheRunAndRepeatsAreIgnored) {
  RoomWindow w(10, 1000);
  w.Append(Shared(10), 4);
  w.Append(Shared(10), 4);  // repeat
  EXPECT_EQ(w.size(), 1u);
  w.Append(Shared(20), 15);  // 15 was never seen: (10, 15] is unknown
  EXPECT_EQ(w.prev(), 15u);
  EXPECT_FALSE(w.Read(10, kAll, kAll).has_value());
  EXPECT_EQ(Offsets(w.Read(15, kAll, kAll)), (std::vector<uint64_t>{20}));
}

TEST(RoomWindowTest, InvalidateForgetsTheRun) {
  RoomWindow w(10, 1000);
  w.Append(Shared(10), 4);
  w.Invalidate();
  EXPECT_FALSE(w.valid());
  EXPECT_FALSE(w.Read(4, kAll, kAll).has_value());
  w.Append(Shared(12), 10);
  EXPECT_EQ(Offsets(w.Read(10, kAll, kAll)), (std::vector<uint64_t>{12}));
}

TEST(RoomWindowTest, BoundsDropTheOldestAndMoveTheStart) {
  RoomWindow w(3, 1000);
  uint64_t prev = 0;
  for (uint64_t o : {2, 4, 6, 8, 10}) {
    w.Append(Shared(o), prev);
    prev = o;
  }
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.prev(), 4u);
  EXPECT_FALSE(w.Read(3, kAll, kAll).has_value());
  EXPECT_EQ(Offsets(w.Read(4, kAll, kAll)), (std::vector<uint64_t>{6, 8, 10}));

  RoomWindow bytes(100, 25);
  bytes.Append(Shared(1, 10), 0);
  bytes.Append(Shared(2, 10), 1);
  bytes.Append(Shared(3, 10), 2);  // 30 bytes > 25: offset 1 goes
  EXPECT_EQ(bytes.prev(), 1u);
  EXPECT_EQ(bytes.size(), 2u);
}

TEST(RoomWindowTest, ReadStopsAtLimitOrBytes) {
  RoomWindow w(10, 1000);
  uint64_t prev = 0;
  for (uint64_t o = 1; o <= 5; ++o) {
    w.Append(Shared(o, 10), prev);
    prev = o;
  }
  EXPECT_EQ(Offsets(w.Read(0, 2, kAll)), (std::vector<uint64_t>{1, 2}));
  // Stops after the message that reaches the byte bound.
  EXPECT_EQ(Offsets(w.Read(0, kAll, 15)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Offsets(w.Read(0, kAll, 1)), (std::vector<uint64_t>{1}));
}

TEST(RoomWindowTest, MergeSeedsAnEmptyWindow) {
  RoomWindow w(10, 1000);
  w.Merge(5, {Msg(7), Msg(9)});
  EXPECT_EQ(w.prev(), 5u);
  EXPECT_EQ(Offsets(w.Read(5, kAll, kAll)), (std::vector<uint64_t>{7, 9}));
  // An empty read still says "nothing after 9": the run (9, 9].
  RoomWindow e(10, 1000);
  e.Merge(9, {});
  auto slice = e.Read(9, kAll, kAll);
  ASSERT_TRUE(slice.has_value());
  EXPECT_TRUE(slice->messages.empty());
  EXPECT_EQ(slice->head, 9u);
}

TEST(RoomWindowTest, MergeExtendsTheRunBackwardsAndForwards) {
  RoomWindow w(10, 1000);
  w.Append(Shared(20), 15);
  w.Append(Shared(25), 20);
  // A resume from 8 read (8, 25]: it overlaps the run (15, 25].
  w.Merge(8, {Msg(11), Msg(15), Msg(20), Msg(25)});
  EXPECT_EQ(w.prev(), 8u);
  EXPECT_EQ(Offsets(w.Read(8, kAll, kAll)), (std::vector<uint64_t>{11, 15, 20, 25}));
  // A read reaching past the head extends it.
  w.Merge(20, {Msg(25), Msg(30)});
  EXPECT_EQ(w.head(), 30u);
  EXPECT_EQ(Offsets(w.Read(8, kAll, kAll)), (std::vector<uint64_t>{11, 15, 20, 25, 30}));
  // Appends go on from the merged head.
  w.Append(Shared(31), 30);
  EXPECT_EQ(w.head(), 31u);
  EXPECT_EQ(w.prev(), 8u);
}

TEST(RoomWindowTest, MergeThatDoesNotTouchTheRunKeepsTheNewerOne) {
  RoomWindow w(10, 1000);
  w.Append(Shared(20), 15);
  // (2, 9] does not reach 15: (9, 15] would be unknown.
  w.Merge(2, {Msg(5), Msg(9)});
  EXPECT_EQ(w.prev(), 15u);
  EXPECT_EQ(w.head(), 20u);
  // A read that starts past the head and goes further replaces the run.
  w.Merge(22, {Msg(24)});
  EXPECT_EQ(w.prev(), 22u);
  EXPECT_EQ(w.head(), 24u);
  EXPECT_FALSE(w.Read(20, kAll, kAll).has_value());
}

}  // namespace
}  // namespace switchboard::fanout
