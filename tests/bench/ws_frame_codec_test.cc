#include "bench/ws_frame_codec.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace switchboard::bench {
namespace {

using Message = WsFrameCodec::Message;

// Encodes an unmasked server frame independently of the codec under test, using
// the shortest length encoding RFC 6455 allows.
std::string ServerFrame(uint8_t opcode, absl::string_view payload, bool fin = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | opcode));
  const uint64_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
  }
  out.append(payload.data(), payload.size());
  return out;
}

// A payload whose bytes all differ from their neighbours, so a wrong mask offset
// or a skipped mask shows up.
std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + 3) & 0xFF);
  return s;
}

// Drains every complete message currently buffered; fails the test on an error.
std::vector<Message> DrainAll(WsFrameCodec& codec) {
  std::vector<Message> out;
  while (true) {
    Message message;
    absl::StatusOr<bool> next = codec.Next(&message);
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !*next) return out;
    out.push_back(std::move(message));
  }
}

// Feeds `wire` in chunks ending at the given cut points and collects messages.
std::vector<Message> FeedInChunks(absl::string_view wire, const std::vector<size_t>& cuts) {
  WsFrameCodec codec;
  std::vector<Message> out;
  size_t start = 0;
  for (size_t cut : cuts) {
    codec.Feed(wire.substr(start, cut - start));
    for (Message& m : DrainAll(codec)) out.push_back(std::move(m));
    start = cut;
  }
  codec.Feed(wire.substr(start));
  for (Message& m : DrainAll(codec)) out.push_back(std::move(m));
  return out;
}

void ExpectMessages(const std::vector<Message>& got, const std::vector<Message>& want,
                    const std::string& context) {
  ASSERT_EQ(got.size(), want.size()) << context;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].opcode, want[i].opcode) << context << " message " << i;
    EXPECT_EQ(got[i].payload, want[i].payload) << context << " message " << i;
  }
}

// ---- Client frames -------------------------------------------------------------

struct LengthCase {
  size_t size;
  uint8_t length_byte;  // The 7-bit length field.
  size_t header;        // Bytes before the masking key.
};

TEST(WsFrameCodecClientTest, LengthEncodingAndMaskForBoundarySizes) {
  const uint32_t mask = 0x12345678;
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  for (const LengthCase& c : {LengthCase{0, 0, 2}, LengthCase{125, 125, 2},
                              LengthCase{126, 126, 4}, LengthCase{65535, 126, 4},
                              LengthCase{65536, 127, 10}}) {
    SCOPED_TRACE(c.size);
    const std::string payload = Pattern(c.size);
    std::string out;
    WsFrameCodec::AppendClientFrame(WsFrameCodec::kBinary, payload, mask, &out);
    ASSERT_EQ(out.size(), c.header + 4 + c.size);
    const auto* p = reinterpret_cast<const uint8_t*>(out.data());
    EXPECT_EQ(p[0], 0x80 | WsFrameCodec::kBinary);  // FIN, no RSV bits.
    EXPECT_EQ(p[1] & 0x80, 0x80);                   // MASK bit set.
    EXPECT_EQ(p[1] & 0x7F, c.length_byte);
    uint64_t extended = 0;
    for (size_t i = 2; i < c.header; ++i) extended = (extended << 8) | p[i];
    if (c.header > 2) {
      EXPECT_EQ(extended, c.size);
    }
    EXPECT_EQ(out.substr(c.header, 4), std::string(key, 4));
    for (size_t i = 0; i < c.size; ++i) {
      ASSERT_EQ(out[c.header + 4 + i], static_cast<char>(payload[i] ^ key[i % 4])) << i;
    }
  }
}

TEST(WsFrameCodecClientTest, MaskActuallyChangesThePayload) {
  std::string out;
  WsFrameCodec::AppendClientFrame(WsFrameCodec::kText, "hello", 0xA1B2C3D4, &out);
  ASSERT_EQ(out.size(), 2u + 4u + 5u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x81);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0x80 | 5);
  EXPECT_NE(out.substr(6), "hello");
  std::string unmasked = out.substr(6);
  for (size_t i = 0; i < unmasked.size(); ++i) unmasked[i] ^= out[2 + i % 4];
  EXPECT_EQ(unmasked, "hello");
}

TEST(WsFrameCodecClientTest, AppendsAfterExistingBytesAndKeepsOpcode) {
  std::string out = "prefix";
  WsFrameCodec::AppendClientFrame(WsFrameCodec::kPing, "", 0, &out);
  WsFrameCodec::AppendClientFrame(WsFrameCodec::kClose, "\x03\xe8", 0, &out);
  ASSERT_EQ(out.size(), 6u + 6u + 8u);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(static_cast<uint8_t>(out[6]), 0x80 | WsFrameCodec::kPing);
  EXPECT_EQ(static_cast<uint8_t>(out[7]), 0x80);
  EXPECT_EQ(static_cast<uint8_t>(out[12]), 0x80 | WsFrameCodec::kClose);
  EXPECT_EQ(static_cast<uint8_t>(out[13]), 0x80 | 2);
  EXPECT_EQ(out.substr(18), "\x03\xe8");  // Zero mask leaves bytes as they are.
}

// ---- Server frames -------------------------------------------------------------

TEST(WsFrameCodecServerTest, NeedsMoreBytesWhenEmptyOrPartial) {
  WsFrameCodec codec;
  Message message;
  absl::StatusOr<bool> next = codec.Next(&message);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(*next);

  const std::string frame = ServerFrame(WsFrameCodec::kText, std::string(300, 'x'));
  codec.Feed(absl::string_view(frame).substr(0, 3));  // Inside the 16-bit length.
  next = codec.Next(&message);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(*next);
  codec.Feed(absl::string_view(frame).substr(3, frame.size() - 4));  // All but one byte.
  next = codec.Next(&message);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(*next);
  codec.Feed(absl::string_view(frame).substr(frame.size() - 1));
  next = codec.Next(&message);
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(*next);
  EXPECT_EQ(message.opcode, WsFrameCodec::kText);
  EXPECT_EQ(message.payload, std::string(300, 'x'));
}

TEST(WsFrameCodecServerTest, EveryTwoWaySplitOfASmallStream) {
  const std::vector<Message> want = {
      {WsFrameCodec::kText, "hi"},
      {WsFrameCodec::kBinary, ""},
      {WsFrameCodec::kBinary, Pattern(125)},
      {WsFrameCodec::kText, Pattern(126)},
      {WsFrameCodec::kPing, "p"},
  };
  std::string wire;
  for (const Message& m : want) wire += ServerFrame(m.opcode, m.payload);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    ExpectMessages(FeedInChunks(wire, {cut}), want, "cut at " + std::to_string(cut));
    if (HasFatalFailure()) return;
  }
}

TEST(WsFrameCodecServerTest, LargeFramesByteByByteAndInRandomChunks) {
  const std::vector<Message> want = {
      {WsFrameCodec::kBinary, Pattern(65535)},
      {WsFrameCodec::kBinary, Pattern(65536)},
      {WsFrameCodec::kText, "after"},
      {WsFrameCodec::kBinary, Pattern(200000)},
  };
  std::string wire;
  for (const Message& m : want) wire += ServerFrame(m.opcode, m.payload);

  std::vector<size_t> every_byte;
  for (size_t i = 1; i < wire.size(); ++i) every_byte.push_back(i);
  ExpectMessages(FeedInChunks(wire, every_byte), want, "byte by byte");

  std::mt19937 rng(12345);
  for (int round = 0; round < 20; ++round) {
    std::vector<size_t> cuts;
    std::uniform_int_distribution<size_t> step(1, 9000);
    for (size_t at = step(rng); at < wire.size(); at += step(rng)) cuts.push_back(at);
    ExpectMessages(FeedInChunks(wire, cuts), want, "round " + std::to_string(round));
  }
}

TEST(WsFrameCodecServerTest, ReassemblesFragments) {
  const std::string wire = ServerFrame(WsFrameCodec::kText, "Hel", /*fin=*/false) +
                           ServerFrame(WsFrameCodec::kContinuation, "", /*fin=*/false) +
                           ServerFrame(WsFrameCodec::kContinuation, "lo, ", /*fin=*/false) +
                           ServerFrame(WsFrameCodec::kContinuation, "world", /*fin=*/true) +
                           ServerFrame(WsFrameCodec::kBinary, "\x01\x02", /*fin=*/false) +
                           ServerFrame(WsFrameCodec::kContinuation, "\x03", /*fin=*/true);
  const std::vector<Message> want = {{WsFrameCodec::kText, "Hello, world"},
                                     {WsFrameCodec::kBinary, "\x01\x02\x03"}};
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    ExpectMessages(FeedInChunks(wire, {cut}), want, "cut at " + std::to_string(cut));
    if (HasFatalFailure()) return;
  }
}

TEST(WsFrameCodecServerTest, ControlFramesInterleaveWithFragments) {
  const std::string wire = ServerFrame(WsFrameCodec::kBinary, "ab", /*fin=*/false) +
                           ServerFrame(WsFrameCodec::kPing, "are you there") +
                           ServerFrame(WsFrameCodec::kContinuation, "cd", /*fin=*/false) +
                           ServerFrame(WsFrameCodec::kPong, "") +
                           ServerFrame(WsFrameCodec::kContinuation, "ef", /*fin=*/true);
  const std::vector<Message> want = {{WsFrameCodec::kPing, "are you there"},
                                     {WsFrameCodec::kPong, ""},
                                     {WsFrameCodec::kBinary, "abcdef"}};
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    ExpectMessages(FeedInChunks(wire, {cut}), want, "cut at " + std::to_string(cut));
    if (HasFatalFailure()) return;
  }
}

TEST(WsFrameCodecServerTest, ControlFramesCarryTheirPayload) {
  const std::string close_payload = std::string("\x03\xe8", 2) + "going away";
  const std::vector<Message> want = {{WsFrameCodec::kPing, std::string(125, 'p')},
                                     {WsFrameCodec::kPong, "pong"},
                                     {WsFrameCodec::kClose, close_payload},
                                     {WsFrameCodec::kClose, ""}};
  std::string wire;
  for (const Message& m : want) wire += ServerFrame(m.opcode, m.payload);
  ExpectMessages(FeedInChunks(wire, {}), want, "whole");
}

TEST(WsFrameCodecServerTest, RefusesMaskedServerFrame) {
  std::string masked;
  WsFrameCodec::AppendClientFrame(WsFrameCodec::kText, "hello", 0x01020304, &masked);
  WsFrameCodec codec;
  codec.Feed(masked);
  Message message;
  absl::StatusOr<bool> next = codec.Next(&message);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WsFrameCodecServerTest, RefusesOversizedLengthBeforeBuffering) {
  // A 64-bit length of 2^40 bytes, with no body: refused from the header alone.
  std::string header = {static_cast<char>(0x82), static_cast<char>(127)};
  const uint64_t size = uint64_t{1} << 40;
  for (int shift = 56; shift >= 0; shift -= 8) header.push_back(static_cast<char>(size >> shift));
  WsFrameCodec codec;
  codec.Feed(header);
  Message message;
  absl::StatusOr<bool> next = codec.Next(&message);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);

  // The same with every bit of the length set (would overflow header + length).
  WsFrameCodec codec2;
  codec2.Feed(std::string{static_cast<char>(0x82), static_cast<char>(127)} +
              std::string(8, static_cast<char>(0xFF)));
  next = codec2.Next(&message);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WsFrameCodecServerTest, ParsesOwnClientFrameOnceUnmasked) {
  // Round trip through both halves: unmask a client frame and re-feed it as a
  // server frame (mask bit cleared, key removed).
  const std::string payload = Pattern(70000);
  std::string client;
  WsFrameCodec::AppendClientFrame(WsFrameCodec::kBinary, payload, 0xDEADBEEF, &client);
  const size_t header = 10;
  std::string server = client.substr(0, header);
  server[1] = static_cast<char>(server[1] & 0x7F);
  std::string body = client.substr(header + 4);
  for (size_t i = 0; i < body.size(); ++i) body[i] ^= client[header + i % 4];
  server += body;
  ExpectMessages(FeedInChunks(server, {1, 5, 11}), {{WsFrameCodec::kBinary, payload}},
                 "round trip");
}

}  // namespace
}  // namespace switchboard::bench
