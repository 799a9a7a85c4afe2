#include "gateway/auth/claims.h"

#include "gtest/gtest.h"

namespace switchboard::gateway::auth {
namespace {

TEST(ClaimsTest, JoinAndPublishFollowTheirOwnPatterns) {
  Claims claims;
  claims.join_patterns = {"chat:*", "lobby"};
  claims.publish_patterns = {"chat:ops"};
  EXPECT_TRUE(claims.CanJoin("chat:42"));
  EXPECT_TRUE(claims.CanJoin("lobby"));
  EXPECT_FALSE(claims.CanJoin("admin"));
  EXPECT_TRUE(claims.CanPublish("chat:ops"));
  EXPECT_FALSE(claims.CanPublish("chat:42"));
  EXPECT_FALSE(claims.CanPublish("lobby"));
}

TEST(ClaimsTest, NoPatternsMeansNothing) {
  Claims claims;
  EXPECT_FALSE(claims.CanJoin("lobby"));
  EXPECT_FALSE(claims.CanPublish("lobby"));
}

TEST(ClaimsTest, WildcardNeverAdmitsAnInvalidRoomName) {
  Claims claims;
  claims.join_patterns = {"*"};
  claims.publish_patterns = {"*"};
  EXPECT_TRUE(claims.CanJoin("anything:at-all"));
  for (const char* room : {"", "a.b", ">", "a b", "eph:"}) {
    EXPECT_FALSE(claims.CanJoin(room)) << room;
    EXPECT_FALSE(claims.CanPublish(room)) << room;
  }
}

}  // namespace
}  // namespace switchboard::gateway::auth
