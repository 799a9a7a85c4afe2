#include "gateway/ws/protocol.h"

#include <set>

#include "gtest/gtest.h"

namespace switchboard::gateway::ws {
namespace {

TEST(ProtocolTest, ControlOpcodes) {
  EXPECT_FALSE(IsControl(Opcode::kContinuation));
  EXPECT_FALSE(IsControl(Opcode::kText));
  EXPECT_FALSE(IsControl(Opcode::kBinary));
  EXPECT_TRUE(IsControl(Opcode::kClose));
  EXPECT_TRUE(IsControl(Opcode::kPing));
  EXPECT_TRUE(IsControl(Opcode::kPong));
}

TEST(ProtocolTest, ReceivedCloseCodes) {
  // RFC 6455 and the IANA registry: 1012-1014 are registered for either side.
  const std::set<int> defined = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                 1010, 1011, 1012, 1013, 1014};
  for (int code = 0; code <= 0xFFFF; ++code) {
    const bool expected = defined.count(code) > 0 || (code >= 3000 && code <= 4999);
    EXPECT_EQ(IsValidReceivedCloseCode(static_cast<uint16_t>(code)), expected) << code;
  }
}

}  // namespace
}  // namespace switchboard::gateway::ws
