#include "gateway/ws/frame_encoder.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "gateway/ws/utf8_validator.h"
#include "gtest/gtest.h"

namespace switchboard::gateway::ws {
namespace {

std::string Header(Opcode op, uint64_t len) {
  uint8_t out[kMaxServerHeaderBytes];
  const size_t n = EncodeHeader(op, len, out);
  return std::string(reinterpret_cast<const char*>(out), n);
}

TEST(FrameEncoderTest, HeaderUsesShortestLengthForm) {
  EXPECT_EQ(Header(Opcode::kText, 0), std::string("\x81\x00", 2));
  EXPECT_EQ(Header(Opcode::kText, 125), "\x81\x7d");
  EXPECT_EQ(Header(Opcode::kBinary, 126), std::string("\x82\x7e\x00\x7e", 4));
  EXPECT_EQ(Header(Opcode::kBinary, 0xFFFF), "\x82\x7e\xff\xff");
  EXPECT_EQ(Header(Opcode::kBinary, 0x10000),
            std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  EXPECT_EQ(Header(Opcode::kText, 0x0102030405060708ULL),
            "\x81\x7f\x01\x02\x03\x04\x05\x06\x07\x08");
}

TEST(FrameEncoderTest, HeaderHasFinNoRsvNoMask) {
  for (Opcode op : {Opcode::kText, Opcode::kBinary, Opcode::kClose, Opcode::kPing,
                    Opcode::kPong}) {
    for (uint64_t len : {0, 5, 125}) {
      const std::string h = Header(op, len);
      ASSERT_EQ(h.size(), 2u);
      EXPECT_EQ(static_cast<uint8_t>(h[0]), 0x80 | static_cast<uint8_t>(op));
      EXPECT_EQ(static_cast<uint8_t>(h[1]), len);  // Mask bit clear.
    }
  }
}

TEST(FrameEncoderTest, FrameIsHeaderThenPayload) {
  for (size_t len : {0, 1, 125, 126, 65535, 65536, 100000}) {
    const std::string payload(len, 'x');
    const std::string frame = EncodeFrame(Opcode::kBinary, payload);
    const std::string header = Header(Opcode::kBinary, len);
    EXPECT_EQ(frame.size(), header.size() + len);
    EXPECT_EQ(frame.substr(0, header.size()), header);
    EXPECT_EQ(frame.substr(header.size()), payload);
  }
  EXPECT_EQ(EncodeFrame(Opcode::kText, "hi"), "\x81\x02hi");
  EXPECT_EQ(EncodeFrame(Opcode::kPong, "p"), "\x8a\x01p");
  EXPECT_EQ(EncodeFrame(Opcode::kPing, ""), std::string("\x89\x00", 2));
}

TEST(FrameEncoderTest, ControlPayloadIsCutTo125Bytes) {
  const std::string frame = EncodeFrame(Opcode::kPong, std::string(300, 'p'));
  ASSERT_EQ(frame.size(), 2u + 125u);
  EXPECT_EQ(static_cast<uint8_t>(frame[1]), 125);
  // Data frames are never cut.
  EXPECT_EQ(EncodeFrame(Opcode::kText, std::string(300, 't')).size(), 4u + 300u);
}

TEST(FrameEncoderTest, CloseFrameCarriesCodeAndReason) {
  EXPECT_EQ(EncodeCloseFrame(1000, ""), "\x88\x02\x03\xe8");
  EXPECT_EQ(EncodeCloseFrame(1009, "too big"), "\x88\x09\x03\xf1too big");
  EXPECT_EQ(EncodeCloseFrame(4001, "x"), "\x88\x03\x0f\xa1x");
}

TEST(FrameEncoderTest, CloseCodesThatMustNotBeSentGiveAnEmptyClose) {
  for (uint16_t code : {kCloseNoStatus, kCloseAbnormal, kCloseTlsHandshake}) {
    EXPECT_EQ(EncodeCloseFrame(code, "ignored"), std::string("\x88\x00", 2)) << code;
  }
}

TEST(FrameEncoderTest, CloseReasonIsCutToFitAndStaysUtf8) {
  // 123 bytes of reason fit; the 124th does not.
  const std::string ascii(200, 'r');
  std::string frame = EncodeCloseFrame(1001, ascii);
  ASSERT_EQ(frame.size(), 2u + 125u);
  EXPECT_EQ(frame.substr(4), ascii.substr(0, 123));

  // Two-byte characters: 61 of them (122 bytes); half of the 62nd would not do.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
  frame = EncodeCloseFrame(1001, accents);
  EXPECT_EQ(frame.size(), 4u + 122u);
  EXPECT_EQ(static_cast<uint8_t>(frame[1]), 124);
  EXPECT_TRUE(Utf8Validator::IsValid(frame.substr(4)));

  // A 4-byte character straddling byte 123 is dropped whole.
  for (size_t pad = 115; pad <= 123; ++pad) {
    const std::string reason = std::string(pad, 'a') + "\xf0\x9f\x98\x80" + "tail";
    frame = EncodeCloseFrame(1000, reason);
    const std::string sent = frame.substr(4);
    EXPECT_LE(sent.size(), 123u);
    EXPECT_TRUE(Utf8Validator::IsValid(sent)) << pad;
    EXPECT_EQ(sent, reason.substr(0, sent.size()));
    EXPECT_EQ(sent.size(), pad + 4 <= 123 ? std::min<size_t>(123, pad + 4 + 4) : pad);
  }
}

TEST(FrameEncoderTest, InvalidUtf8ReasonIsCutAtTheFirstBadByte) {
  const std::string frame = EncodeCloseFrame(1011, "oops\xff\xfe rest");
  EXPECT_EQ(frame, "\x88\x06\x03\xf3oops");
}

}  // namespace
}  // namespace switchboard::gateway::ws
