#include "clients/cpp/presence_tracker.h"

#include <string>

#include "gtest/gtest.h"

namespace switchboard::client {
namespace {

namespace cv1 = switchboard::client::v1;
using Kind = PresenceTracker::Change::Kind;

cv1::PresenceInfo Info(const std::string& user, const std::string& conn,
                       const std::string& gateway = "gw-a", int64_t joined_s = 100) {
  cv1::PresenceInfo info;
  info.set_user_id(user);
  info.set_connection_id(conn);
  info.set_gateway_id(gateway);
  info.mutable_joined_at()->set_seconds(joined_s);
  return info;
}

cv1::PresenceEvent Event(cv1::PresenceChange change, const cv1::PresenceInfo& info) {
  cv1::PresenceEvent event;
  event.set_room("r");
  event.set_change(change);
  *event.mutable_info() = info;
  return event;
}

cv1::PresenceEvent Join(const cv1::PresenceInfo& info) {
  return Event(cv1::PRESENCE_CHANGE_JOIN, info);
}
cv1::PresenceEvent Leave(const cv1::PresenceInfo& info) {
  return Event(cv1::PRESENCE_CHANGE_LEAVE, info);
}

TEST(PresenceTrackerTest, AUserWithSeveralTabsLeavesWithTheLastOne) {
  PresenceTracker t;
  auto c = t.Apply(Join(Info("alice", "a1")));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Kind::kOnline);
  EXPECT_EQ(c[0].user_id, "alice");
  EXPECT_TRUE(t.Apply(Join(Info("alice", "a2", "gw-b"))).empty());
  EXPECT_TRUE(t.Apply(Join(Info("alice", "a2", "gw-b"))).empty());  // repeated: no change
  EXPECT_EQ(t.ConnectionsOf("alice"), 2u);
  EXPECT_TRUE(t.Apply(Leave(Info("alice", "a1"))).empty());
  EXPECT_TRUE(t.IsOnline("alice"));
  c = t.Apply(Leave(Info("alice", "a2", "gw-b")));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Kind::kOffline);
  EXPECT_FALSE(t.IsOnline("alice"));
  EXPECT_EQ(t.connections(), 0u);
  EXPECT_TRUE(t.Apply(Leave(Info("alice", "a2"))).empty());  // unknown: ignored
}

TEST(PresenceTrackerTest, ALostGatewayTakesOnlyItsEntries) {
  PresenceTracker t;
  t.Apply(Join(Info("alice", "a1", "gw-a")));
  t.Apply(Join(Info("alice", "a2", "gw-b")));
  t.Apply(Join(Info("bob", "b1", "gw-b")));
  cv1::PresenceInfo lost;
  lost.set_gateway_id("gw-b");
  auto c = t.Apply(Event(cv1::PRESENCE_CHANGE_GATEWAY_LOST, lost));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].user_id, "bob");
  EXPECT_EQ(c[0].kind, Kind::kOffline);
  EXPECT_TRUE(t.IsOnline("alice"));
  EXPECT_EQ(t.connections(), 1u);
}

TEST(PresenceTrackerTest, ARestartedGatewayKeepsItsNewEntries) {
  PresenceTracker t;
  t.Apply(Join(Info("old", "o1", "gw-b", 100)));
  t.Apply(Join(Info("new", "n1", "gw-b", 200)));  // joined after the restart
  cv1::PresenceInfo lost;
  lost.set_gateway_id("gw-b");
  lost.mutable_joined_at()->set_seconds(150);  // restarted then
  t.Apply(Event(cv1::PRESENCE_CHANGE_GATEWAY_LOST, lost));
  EXPECT_FALSE(t.IsOnline("old"));
  EXPECT_TRUE(t.IsOnline("new"));
}

TEST(PresenceTrackerTest, AnOlderSnapshotDoesNotReviveOrDrop) {
  PresenceTracker t;
  t.Apply(Join(Info("alice", "a1")));
  t.BeginSnapshot();
  // While the query is out: bob's b1 leaves and carol joins.
  t.Apply(Join(Info("carol", "c1")));
  t.Apply(Leave(Info("bob", "b1")));
  cv1::PresenceSnapshot snapshot;  // gathered before both events
  *snapshot.add_members() = Info("alice", "a1");
  *snapshot.add_members() = Info("bob", "b1");
  *snapshot.add_members() = Info("dave", "d1");
  snapshot.set_connections(3);
  auto c = t.ApplySnapshot(snapshot);
  EXPECT_EQ(t.Users(), (std::vector<std::string>{"alice", "carol", "dave"}));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].user_id, "dave");
}

TEST(PresenceTrackerTest, ACompleteSnapshotRemovesWhatItDoesNotList) {
  PresenceTracker t;
  t.Apply(Join(Info("alice", "a1")));
  t.Apply(Join(Info("ghost", "g1")));
  t.BeginSnapshot();
  cv1::PresenceSnapshot snapshot;
  *snapshot.add_members() = Info("alice", "a1");
  snapshot.set_connections(1);
  auto c = t.ApplySnapshot(snapshot);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Kind::kOffline);
  EXPECT_EQ(c[0].user_id, "ghost");
  // A capped snapshot (1 of 5 listed) removes nothing.
  t.Apply(Join(Info("bob", "b1")));
  t.BeginSnapshot();
  snapshot.set_connections(5);
  EXPECT_TRUE(t.ApplySnapshot(snapshot).empty());
  EXPECT_TRUE(t.IsOnline("bob"));
}

}  // namespace
}  // namespace switchboard::client
