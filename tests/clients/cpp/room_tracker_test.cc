#include "clients/cpp/room_tracker.h"

#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

v1::Join MakeJoin(std::string room) {
  v1::Join join;
  join.set_room(std::move(room));
  return join;
}

v1::Joined MakeJoined(std::string room, uint64_t offset,
                      v1::RoomKind kind = v1::ROOM_KIND_PERSISTED) {
  v1::Joined joined;
  joined.set_room(std::move(room));
  joined.set_offset(offset);
  joined.set_kind(kind);
  return joined;
}

v1::Message MakeMessage(std::string room, uint64_t offset) {
  v1::Message message;
  message.set_room(std::move(room));
  message.set_offset(offset);
  return message;
}

TEST(RoomTrackerTest, LiveJoinResumesAfterTheJoinOffset) {
  RoomTracker rooms;
  EXPECT_TRUE(rooms.OnJoinSent(MakeJoin("a")));
  EXPECT_FALSE(rooms.IsJoined("a"));
  rooms.OnJoined(MakeJoined("a", 10));
  EXPECT_TRUE(rooms.IsJoined("a"));
  EXPECT_EQ(rooms.LastOffset("a"), 10u);
  EXPECT_FALSE(rooms.Accept(MakeMessage("a", 10)));
  EXPECT_TRUE(rooms.Accept(MakeMessage("a", 12)));
  EXPECT_FALSE(rooms.Accept(MakeMessage("a", 11)));  // behind the position
  EXPECT_TRUE(rooms.Accept(MakeMessage("a", 15)));
  std::vector<v1::Join> rejoin = rooms.RejoinFrames();
  ASSERT_EQ(rejoin.size(), 1u);
  EXPECT_EQ(rejoin[0].since_offset(), 15u);
}

TEST(RoomTrackerTest, ResumeJoinCountsFromSinceOffset) {
  RoomTracker rooms;
  v1::Join join = MakeJoin("a");
  join.set_since_offset(5);
  join.set_presence(true);
  rooms.OnJoinSent(join);
  rooms.OnJoined(MakeJoined("a", 9));
  EXPECT_EQ(rooms.LastOffset("a"), 5u);  // the replay 6..9 is still to come
  EXPECT_FALSE(rooms.Accept(MakeMessage("a", 5)));
  EXPECT_TRUE(rooms.Accept(MakeMessage("a", 6)));
  std::vector<v1::Join> rejoin = rooms.RejoinFrames();
  ASSERT_EQ(rejoin.size(), 1u);
  EXPECT_EQ(rejoin[0].since_offset(), 6u);
  EXPECT_TRUE(rejoin[0].presence());  // the original options stay
}

TEST(RoomTrackerTest, HistoryJoinTakesItsPositionFromTheHistory) {
  RoomTracker rooms;
  v1::Join join = MakeJoin("a");
  join.set_history_limit(3);
  rooms.OnJoinSent(join);
  rooms.OnJoined(MakeJoined("a", 20));
  EXPECT_EQ(rooms.LastOffset("a"), std::nullopt);
  // Nothing delivered yet: a rejoin repeats the history join.
  std::vector<v1::Join> rejoin = rooms.RejoinFrames();
  ASSERT_EQ(rejoin.size(), 1u);
  EXPECT_FALSE(rejoin[0].has_since_offset());
  EXPECT_EQ(rejoin[0].history_limit(), 3u);

  EXPECT_TRUE(rooms.Accept(MakeMessage("a", 18)));
  rejoin = rooms.RejoinFrames();
  EXPECT_EQ(rejoin[0].since_offset(), 18u);
  EXPECT_EQ(rejoin[0].history_limit(), 0u);
}

TEST(RoomTrackerTest, EphemeralAndUntrackedRoomsAreNeverSuppressed) {
  RoomTracker rooms;
  rooms.OnJoinSent(MakeJoin("eph:typing"));
  rooms.OnJoined(MakeJoined("eph:typing", 0, v1::ROOM_KIND_EPHEMERAL));
  EXPECT_TRUE(rooms.Accept(MakeMessage("eph:typing", 0)));
  EXPECT_TRUE(rooms.Accept(MakeMessage("eph:typing", 0)));
  EXPECT_TRUE(rooms.Accept(MakeMessage("elsewhere", 3)));
  EXPECT_TRUE(rooms.Accept(MakeMessage("elsewhere", 3)));
  std::vector<v1::Join> rejoin = rooms.RejoinFrames();
  ASSERT_EQ(rejoin.size(), 1u);
  EXPECT_FALSE(rejoin[0].has_since_offset());
}

TEST(RoomTrackerTest, AJoinOfAJoinedRoomKeepsTheOriginal) {
  RoomTracker rooms;
  rooms.OnJoinSent(MakeJoin("a"));
  rooms.OnJoined(MakeJoined("a", 4));
  v1::Join again = MakeJoin("a");
  again.set_since_offset(1);
  EXPECT_FALSE(rooms.OnJoinSent(again));
  EXPECT_EQ(rooms.LastOffset("a"), 4u);
}

TEST(RoomTrackerTest, ForgetAndPendingJoinsAreNotRejoined) {
  RoomTracker rooms;
  rooms.OnJoinSent(MakeJoin("b"));
  rooms.OnJoinSent(MakeJoin("a"));
  rooms.OnJoined(MakeJoined("a", 1));
  rooms.OnJoinSent(MakeJoin("c"));
  rooms.OnJoined(MakeJoined("c", 1));
  EXPECT_EQ(rooms.JoinedRooms(), (std::vector<std::string>{"a", "c"}));
  rooms.Forget("c");
  std::vector<v1::Join> rejoin = rooms.RejoinFrames();
  ASSERT_EQ(rejoin.size(), 1u);
  EXPECT_EQ(rejoin[0].room(), "a");
  EXPECT_EQ(rooms.LastOffset("c"), std::nullopt);
}

}  // namespace
}  // namespace client
}  // namespace switchboard
