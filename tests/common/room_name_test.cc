#include "common/room_name.h"

#include <string>

#include "gtest/gtest.h"

namespace switchboard {
namespace {

TEST(RoomNameTest, AcceptsOrdinaryNames) {
  for (const char* room : {"lobby", "chat:42", "user@example", "a", "x-y_z=1+2", "eph:typing"}) {
    EXPECT_TRUE(ValidateRoomName(room).ok()) << room;
  }
  EXPECT_TRUE(ValidateRoomName(std::string(kMaxRoomNameBytes, 'a')).ok());
}

TEST(RoomNameTest, RefusesNamesThatWouldAliasSubjects) {
  for (const char* room : {"", "a.b", "*", ">", "a b", "room\n", "caf\xc3\xa9", "a\tb", "eph:"}) {
    absl::Status status = ValidateRoomName(room);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << room;
    EXPECT_FALSE(status.message().empty());
  }
  EXPECT_FALSE(ValidateRoomName(std::string(kMaxRoomNameBytes + 1, 'a')).ok());
  EXPECT_FALSE(ValidateRoomName(std::string("a\0b", 3)).ok());
}

TEST(RoomNameTest, EphemeralPrefix) {
  EXPECT_TRUE(IsEphemeralRoom("eph:cursors"));
  EXPECT_FALSE(IsEphemeralRoom("ephemeral"));
  EXPECT_FALSE(IsEphemeralRoom("lobby"));
}

}  // namespace
}  // namespace switchboard
