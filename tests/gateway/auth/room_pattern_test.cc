#include "gateway/auth/room_pattern.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard::gateway::auth {
namespace {

struct Case {
  const char* pattern;
  const char* room;
  bool match;
};

TEST(RoomPatternTest, Matches) {
  const Case cases[] = {
      {"*", "lobby", true},
      {"*", "chat:42", true},
      {"chat:*", "chat:42", true},
      {"chat:*", "chat:", true},
      {"chat:*", "chat", false},
      {"chat:*", "xchat:42", false},
      {"lobby", "lobby", true},
      {"lobby", "lobby2", false},
      {"lobby", "lobb", false},
      {"*:general", "team-a:general", true},
      {"*:general", "team-a:generals", false},
      {"team-*:general", "team-a:general", true},
      {"team-*:general", "team-:general", true},
      {"team-*:general", "teams:general", false},
      {"a*b*c", "abc", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "acb", false},
      {"a*b*c", "abcbc", true},
      {"ab*ba", "aba", false},  // Prefix and suffix may not share bytes.
      {"ab*ba", "abba", true},
      {"a**b", "ab", true},
      {"**", "x", true},
      {"*a*a*", "aa", true},
      {"*a*a*", "a", false},
      {"*x*", "abc", false},
      {"eph:*", "eph:typing", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MatchRoomPattern(c.pattern, c.room), c.match) << c.pattern << " vs " << c.room;
  }
}

TEST(RoomPatternTest, PathologicalPatternStaysCheap) {
  // A backtracking matcher explores ~C(128, 64) splits here; this one is one
  // left-to-right pass per piece.
  std::string pattern;
  for (int i = 0; i < 63; ++i) absl::StrAppend(&pattern, "*a");
  pattern += "*b";
  std::string room(128, 'a');
  EXPECT_FALSE(MatchRoomPattern(pattern, room));
  room.back() = 'b';
  EXPECT_TRUE(MatchRoomPattern(pattern, room));
}

TEST(RoomPatternTest, ValidatesPatterns) {
  for (const char* pattern : {"*", "chat:*", "lobby", "a*b*c", "x-y_z=1+2@*", "eph:*"}) {
    EXPECT_TRUE(ValidateRoomPattern(pattern).ok()) << pattern;
  }
  EXPECT_TRUE(ValidateRoomPattern(std::string(128, '*')).ok());
  for (const char* pattern :
       {"", "chat.*", "chat:>", "a b", "room\n", "?", "[ab]", "caf\xc3\xa9*"}) {
    absl::Status status = ValidateRoomPattern(pattern);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << pattern;
    EXPECT_NE(status.message().find("room pattern"), absl::string_view::npos);
  }
  EXPECT_FALSE(ValidateRoomPattern(std::string(129, 'a')).ok());
}

}  // namespace
}  // namespace switchboard::gateway::auth
