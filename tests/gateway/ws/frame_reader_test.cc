#include "gateway/ws/frame_reader.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/ws/frame_encoder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/ws/client_frame.h"

namespace switchboard::gateway::ws {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class Recorder final : public FrameReader::Handler {
 public:
  void OnMessage(Opcode type, absl::string_view payload) override {
    events.push_back(absl::StrCat(type == Opcode::kText ? "text:" : "binary:", payload));
    last_payload = payload;
  }
  void OnPing(absl::string_view payload) override {
    events.push_back(absl::StrCat("ping:", payload));
    last_payload = payload;
  }
  void OnPong(absl::string_view payload) override {
    events.push_back(absl::StrCat("pong:", payload));
  }
  void OnClose(uint16_t code, absl::string_view reason) override {
    events.push_back(absl::StrCat("close:", code, ":", reason));
  }

  std::vector<std::string> events;
  absl::string_view last_payload;  // Dangling after the call; compare pointers only.
};

enum class Mode { kCopy, kInPlace, kMixed };

struct Outcome {
  std::vector<std::string> events;
  absl::Status status;
  uint16_t close_code = 0;
};

// Feeds `stream` in chunks of the given sizes (the rest in one last chunk).
Outcome Feed(std::string stream, const std::vector<size_t>& chunks, Mode mode = Mode::kCopy,
             FrameReader::Limits limits = {}) {
  FrameReader reader(limits);
  Recorder recorder;
  Outcome out;
  size_t pos = 0;
  bool in_place = mode == Mode::kInPlace;
  auto consume = [&](size_t n) {
    out.status = in_place ? reader.ConsumeInPlace(&stream[pos], n, recorder)
                          : reader.Consume(stream.data() + pos, n, recorder);
    pos += n;
    if (mode == Mode::kMixed) in_place = !in_place;
  };
  for (size_t n : chunks) {
    if (pos + n > stream.size()) break;
    consume(n);
  }
  if (pos < stream.size() || stream.empty()) consume(stream.size() - pos);
  EXPECT_EQ(out.status.ok(), !reader.failed());
  out.events = recorder.events;
  out.close_code = reader.close_code();
  return out;
}

Outcome Whole(const std::string& stream, FrameReader::Limits limits = {}) {
  return Feed(stream, {}, Mode::kCopy, limits);
}

std::vector<size_t> ByteAtATime(size_t n) { return std::vector<size_t>(n, 1); }

// Checks `stream` fails with `close_code` whichever way it is fed, after
// delivering `events`.
void ExpectFailure(const std::string& stream, uint16_t close_code,
                   const std::vector<std::string>& events = {},
                   FrameReader::Limits limits = {}) {
  for (Mode mode : {Mode::kCopy, Mode::kInPlace}) {
    for (const auto& chunks : {std::vector<size_t>{}, ByteAtATime(stream.size())}) {
      const Outcome out = Feed(stream, chunks, mode, limits);
      EXPECT_FALSE(out.status.ok()) << "chunks " << chunks.size();
      EXPECT_EQ(out.close_code, close_code) << out.status;
      EXPECT_EQ(out.events, events) << out.status;
    }
  }
}

// Checks `stream` parses into `events` whichever way it is fed.
void ExpectEvents(const std::string& stream, const std::vector<std::string>& events,
                  FrameReader::Limits limits = {}) {
  for (Mode mode : {Mode::kCopy, Mode::kInPlace, Mode::kMixed}) {
    for (const auto& chunks : {std::vector<size_t>{}, ByteAtATime(stream.size())}) {
      const Outcome out = Feed(stream, chunks, mode, limits);
      EXPECT_TRUE(out.status.ok()) << out.status;
      EXPECT_EQ(out.events, events);
    }
  }
}

TEST(FrameReaderTest, SingleFrameMessages) {
  ExpectEvents(Text("hello"), {"text:hello"});
  ExpectEvents(Binary(std::string("\x00\xff\x80", 3)), {std::string("binary:\x00\xff\x80", 10)});
  ExpectEvents(Text(""), {"text:"});
  ExpectEvents(Binary(""), {"binary:"});
  ExpectEvents(Text("a") + Binary("b") + Text("c"), {"text:a", "binary:b", "text:c"});
  ExpectEvents("", {});
}

TEST(FrameReaderTest, AllLengthForms) {
  for (size_t len : {0, 1, 125, 126, 127, 1000, 65535, 65536, 70000}) {
    std::string payload(len, '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('a' + i % 26);
    const Outcome out = Whole(Binary(payload));
    ASSERT_TRUE(out.status.ok()) << len;
    EXPECT_THAT(out.events, ElementsAre("binary:" + payload)) << len;
  }
}

TEST(FrameReaderTest, NonMinimalLengthEncodingsAreAccepted) {
  ClientFrameOptions as16;
  as16.length = LengthForm::k16;
  ClientFrameOptions as64;
  as64.length = LengthForm::k64;
  ExpectEvents(ClientFrame(FirstByte(Opcode::kText), "five!", as16), {"text:five!"});
  ExpectEvents(ClientFrame(FirstByte(Opcode::kText), "five!", as64), {"text:five!"});
  ExpectEvents(ClientFrame(FirstByte(Opcode::kBinary), std::string(300, 'z'), as64),
               {"binary:" + std::string(300, 'z')});
}

TEST(FrameReaderTest, UnmaskedFrameIsAProtocolError) {
  ClientFrameOptions unmasked;
  unmasked.masked = false;
  ExpectFailure(ClientFrame(FirstByte(Opcode::kText), "hi", unmasked), kCloseProtocolError);
  ExpectFailure(ClientFrame(FirstByte(Opcode::kPing), "", unmasked), kCloseProtocolError);
  // Found on the second header byte.
  FrameReader reader({});
  Recorder recorder;
  const std::string frame = ClientFrame(FirstByte(Opcode::kText), "hi", unmasked);
  EXPECT_TRUE(reader.Consume(frame.data(), 1, recorder).ok());
  const absl::Status status = reader.Consume(frame.data() + 1, 1, recorder);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reader.close_code(), kCloseProtocolError);
}

TEST(FrameReaderTest, ReservedBitsAreAProtocolError) {
  for (uint8_t rsv : {kRsv1, kRsv2, kRsv3, static_cast<uint8_t>(kRsv1 | kRsv3)}) {
    const std::string frame = ClientFrame(FirstByte(Opcode::kText, true, rsv), "hi");
    ExpectFailure(frame, kCloseProtocolError);
    // Found on the first byte.
    FrameReader reader({});
    Recorder recorder;
    EXPECT_FALSE(reader.Consume(frame.data(), 1, recorder).ok());
  }
  ExpectFailure(ClientFrame(FirstByte(Opcode::kPing, true, kRsv2), ""), kCloseProtocolError);
}

TEST(FrameReaderTest, ReservedOpcodesAreAProtocolError) {
  for (uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    ExpectFailure(ClientFrame(kFin | op, "x"), kCloseProtocolError);
    ExpectFailure(ClientFrame(op, ""), kCloseProtocolError);
  }
  // After a good message, still refused; the message stands.
  ExpectFailure(Text("ok") + ClientFrame(kFin | 0x5, ""), kCloseProtocolError, {"text:ok"});
}

TEST(FrameReaderTest, ControlFramesMustNotBeFragmented) {
  for (Opcode op : {Opcode::kPing, Opcode::kPong, Opcode::kClose}) {
    ExpectFailure(ClientFrame(FirstByte(op, false), ""), kCloseProtocolError);
  }
  ExpectFailure(Text("a", false) + ClientFrame(FirstByte(Opcode::kPing, false), "p"),
                kCloseProtocolError);
}

TEST(FrameReaderTest, ControlPayloadLimitIs125Bytes) {
  ExpectEvents(Ping(std::string(125, 'p')), {"ping:" + std::string(125, 'p')});
  ExpectEvents(Pong(std::string(125, 'q')), {"pong:" + std::string(125, 'q')});
  ExpectFailure(Ping(std::string(126, 'p')), kCloseProtocolError);
  ExpectFailure(Pong(std::string(126, 'p')), kCloseProtocolError);
  ExpectFailure(Close(1000, std::string(124, 'r')), kCloseProtocolError);
  ClientFrameOptions as16;
  as16.length = LengthForm::k16;
  ExpectFailure(ClientFrame(FirstByte(Opcode::kPing), "small", as16), kCloseProtocolError);
  ClientFrameOptions as64;
  as64.length = LengthForm::k64;
  ExpectFailure(ClientFrame(FirstByte(Opcode::kPong), "small", as64), kCloseProtocolError);
  // The control limit holds whatever the data limits are.
  FrameReader::Limits big;
  big.max_frame_bytes = big.max_message_bytes = 1 << 30;
  ExpectFailure(Ping(std::string(200, 'p')), kCloseProtocolError, {}, big);
}

TEST(FrameReaderTest, FragmentedMessageIsReassembled) {
  ExpectEvents(Text("Hel", false) + Continuation("lo, ", false) + Continuation("world"),
               {"text:Hello, world"});
  ExpectEvents(Binary("a", false) + Continuation("b"), {"binary:ab"});
  // Empty fragments anywhere.
  ExpectEvents(Text("", false) + Continuation("", false) + Continuation("x", false) +
                   Continuation(""),
               {"text:x"});
  ExpectEvents(Binary("", false) + Continuation(""), {"binary:"});
}

TEST(FrameReaderTest, ControlFramesMayComeBetweenFragments) {
  ExpectEvents(Text("frag", false) + Ping("p1") + Continuation("ment", false) + Pong("p2") +
                   Ping("") + Continuation("ed") + Text("next"),
               {"ping:p1", "pong:p2", "ping:", "text:fragmented", "text:next"});
  // A close in the middle of a message ends the stream there.
  ExpectEvents(Text("frag", false) + Close(1001, "bye") + Continuation("ignored"),
               {"close:1001:bye"});
}

TEST(FrameReaderTest, ContinuationWithoutAMessageIsAProtocolError) {
  ExpectFailure(Continuation("x"), kCloseProtocolError);
  ExpectFailure(Continuation("x", false), kCloseProtocolError);
  ExpectFailure(Text("done") + Continuation("more"), kCloseProtocolError, {"text:done"});
  ExpectFailure(Text("a", false) + Continuation("b") + Continuation("c"), kCloseProtocolError,
                {"text:ab"});
  ExpectFailure(Ping("") + Continuation("x"), kCloseProtocolError, {"ping:"});
}

TEST(FrameReaderTest, NewMessageBeforeTheLastOneEndedIsAProtocolError) {
  ExpectFailure(Text("a", false) + Text("b"), kCloseProtocolError);
  ExpectFailure(Text("a", false) + Binary("b"), kCloseProtocolError);
  ExpectFailure(Binary("a", false) + Ping("p") + Binary("b", false), kCloseProtocolError,
                {"ping:p"});
}

TEST(FrameReaderTest, LengthWithTopBitSetIsAProtocolError) {
  std::string frame = "\x82\xff";
  frame += std::string("\x80\x00\x00\x00\x00\x00\x00\x05", 8);
  frame += "\x01\x02\x03\x04";  // Mask; no payload needed to fail.
  FrameReader::Limits unlimited;
  unlimited.max_frame_bytes = unlimited.max_message_bytes = UINT64_MAX;
  ExpectFailure(frame, kCloseProtocolError, {}, unlimited);
}

TEST(FrameReaderTest, FrameOverTheFrameLimitFailsOnItsHeader) {
  FrameReader::Limits limits;
  limits.max_frame_bytes = 100;
  limits.max_message_bytes = 1000;
  ExpectEvents(Binary(std::string(100, 'b')), {"binary:" + std::string(100, 'b')}, limits);
  const std::string frame = Binary(std::string(101, 'b'));
  ExpectFailure(frame, kCloseMessageTooBig, {}, limits);

  // Only the 8-byte header is needed to refuse it.
  FrameReader reader(limits);
  Recorder recorder;
  const absl::Status status = reader.Consume(frame.data(), 8, recorder);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(reader.close_code(), kCloseMessageTooBig);
}

TEST(FrameReaderTest, HugeDeclaredLengthIsRefusedBeforeAnyPayload) {
  std::string header = "\x82\xff";
  header += std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
  header += "\x01\x02\x03\x04";
  FrameReader reader({});
  Recorder recorder;
  EXPECT_EQ(reader.Consume(header.data(), header.size(), recorder).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(reader.close_code(), kCloseMessageTooBig);
}

TEST(FrameReaderTest, MessageLimitCountsAllFragments) {
  FrameReader::Limits limits;
  limits.max_frame_bytes = 100;
  limits.max_message_bytes = 250;
  const std::string f100(100, 'f');
  ExpectEvents(Binary(f100, false) + Continuation(f100, false) + Continuation(std::string(50, 'f')),
               {"binary:" + std::string(250, 'f')}, limits);
  const std::string over =
      Binary(f100, false) + Continuation(f100, false) + Continuation(std::string(51, 'f'));
  ExpectFailure(over, kCloseMessageTooBig, {}, limits);
  // Refused on the third fragment's header, before its payload.
  FrameReader reader(limits);
  Recorder recorder;
  const size_t third_header_end = 2 * (6 + 100) + 6;
  EXPECT_EQ(reader.Consume(over.data(), third_header_end, recorder).code(),
            absl::StatusCode::kResourceExhausted);
  // Control frames in between do not count.
  ExpectEvents(Binary(f100, false) + Ping(std::string(125, 'p')) + Continuation(f100, false) +
                   Continuation(std::string(50, 'f')),
               {"ping:" + std::string(125, 'p'), "binary:" + std::string(250, 'f')}, limits);
  // The count starts over with each message.
  ExpectEvents(Binary(f100) + Binary(f100) + Binary(f100),
               {"binary:" + f100, "binary:" + f100, "binary:" + f100}, limits);
}

TEST(FrameReaderTest, ZeroLimitsAllowOnlyEmptyMessages) {
  FrameReader::Limits zero;
  zero.max_frame_bytes = zero.max_message_bytes = 0;
  ExpectEvents(Text("") + Ping("still fine"), {"text:", "ping:still fine"}, zero);
  ExpectFailure(Text("x"), kCloseMessageTooBig, {}, zero);
}

TEST(FrameReaderTest, InvalidUtf8TextIsRefused) {
  ExpectFailure(Text("bad \xff byte"), kCloseInvalidPayload);
  ExpectFailure(Text("surrogate \xed\xa0\x80"), kCloseInvalidPayload);
  ExpectFailure(Text("overlong \xc0\xaf"), kCloseInvalidPayload);
  ExpectFailure(Text("too high \xf4\x90\x80\x80"), kCloseInvalidPayload);
  ExpectFailure(Text("cut \xe2\x82"), kCloseInvalidPayload);
  ExpectFailure(Text("ok") + Text("\x80"), kCloseInvalidPayload, {"text:ok"});
  // Binary messages are not text.
  ExpectEvents(Binary("\xff\xed\xa0\x80"), {"binary:\xff\xed\xa0\x80"});
}

TEST(FrameReaderTest, Utf8CharactersMaySpanFragments) {
  // "€" is E2 82 AC, "😀" is F0 9F 98 80.
  ExpectEvents(Text("price: \xe2", false) + Continuation("\x82\xac"), {"text:price: \xe2\x82\xac"});
  ExpectEvents(Text("\xf0", false) + Continuation("\x9f", false) + Ping("mid") +
                   Continuation("\x98", false) + Continuation("\x80!"),
               {"ping:mid", "text:\xf0\x9f\x98\x80!"});
  ExpectFailure(Text("\xe2\x82", false) + Continuation("", true), kCloseInvalidPayload);
  ExpectFailure(Text("ok \xf0\x9f", false) + Continuation("\x98"), kCloseInvalidPayload);
}

// The reader refuses a bad byte as soon as it has it, before the rest of the
// frame, or of the message, has arrived.
TEST(FrameReaderTest, InvalidUtf8FailsFast) {
  for (Mode mode : {Mode::kCopy, Mode::kInPlace}) {
    const std::string frame = Text("valid start \xed\xa0 then more text that never comes");
    const size_t bad_byte = 6 + 13;  // Header, then "valid start " and ED.
    {
      FrameReader reader({});
      Recorder recorder;
      std::string copy = frame;
      const absl::Status status =
          mode == Mode::kCopy ? reader.Consume(copy.data(), bad_byte + 1, recorder)
                              : reader.ConsumeInPlace(copy.data(), bad_byte + 1, recorder);
      EXPECT_FALSE(status.ok());
      EXPECT_EQ(reader.close_code(), kCloseInvalidPayload);
    }
    {
      FrameReader reader({});
      Recorder recorder;
      std::string copy = frame;
      EXPECT_TRUE(reader.Consume(copy.data(), bad_byte, recorder).ok());
    }
  }
  // Across fragments: the first byte of the second fragment is enough.
  const std::string stream = Text("abc \xe2", false) + Continuation("X and the rest");
  FrameReader reader({});
  Recorder recorder;
  const size_t first_fragment = 6 + 5;
  EXPECT_TRUE(reader.Consume(stream.data(), first_fragment + 6, recorder).ok());
  EXPECT_FALSE(reader.Consume(stream.data() + first_fragment + 6, 1, recorder).ok());
  EXPECT_EQ(reader.close_code(), kCloseInvalidPayload);
}

TEST(FrameReaderTest, CloseWithoutPayloadReportsNoStatus) {
  ExpectEvents(ClientFrame(FirstByte(Opcode::kClose), ""), {"close:1005:"});
}

TEST(FrameReaderTest, CloseWithCodeAndReason) {
  ExpectEvents(Close(1000, ""), {"close:1000:"});
  ExpectEvents(Close(1001, "going \xc3\xa9"), {"close:1001:going \xc3\xa9"});
  ExpectEvents(Close(4999, std::string(123, 'r')), {"close:4999:" + std::string(123, 'r')});
}

TEST(FrameReaderTest, OneByteClosePayloadIsAProtocolError) {
  ExpectFailure(ClientFrame(FirstByte(Opcode::kClose), "\x03"), kCloseProtocolError);
}

TEST(FrameReaderTest, CloseCodes) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                        3000, 3999, 4000, 4999}) {
    ExpectEvents(Close(code, "r"), {absl::StrCat("close:", code, ":r")});
  }
  for (uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000,
                        65535}) {
    ExpectFailure(Close(code, ""), kCloseProtocolError);
  }
}

TEST(FrameReaderTest, CloseReasonMustBeUtf8) {
  ExpectFailure(Close(1000, "bad \xff"), kCloseInvalidPayload);
  ExpectFailure(Close(1000, "cut \xe2\x82"), kCloseInvalidPayload);
}

TEST(FrameReaderTest, BytesAfterCloseAreIgnored) {
  const std::string stream = Text("before") + Close(1000, "bye") + Text("after") + "\xff\xff";
  ExpectEvents(stream, {"text:before", "close:1000:bye"});
  FrameReader reader({});
  Recorder recorder;
  EXPECT_TRUE(reader.Consume(stream.data(), stream.size(), recorder).ok());
  EXPECT_TRUE(reader.closed());
  EXPECT_FALSE(reader.failed());
  EXPECT_EQ(reader.close_code(), 0);
  EXPECT_TRUE(reader.Consume(stream.data(), stream.size(), recorder).ok());
  EXPECT_THAT(recorder.events, ElementsAre("text:before", "close:1000:bye"));
}

TEST(FrameReaderTest, StaysFailedAfterAnError) {
  FrameReader reader({});
  Recorder recorder;
  const std::string bad = ClientFrame(kFin | 0x3, "");
  const absl::Status first = reader.Consume(bad.data(), bad.size(), recorder);
  ASSERT_FALSE(first.ok());
  EXPECT_FALSE(first.message().empty());
  const std::string good = Text("fine") + Ping("p");
  EXPECT_EQ(reader.Consume(good.data(), good.size(), recorder), first);
  std::string writable = good;
  EXPECT_EQ(reader.ConsumeInPlace(writable.data(), writable.size(), recorder), first);
  EXPECT_EQ(reader.Consume(nullptr, 0, recorder), first);
  EXPECT_THAT(recorder.events, IsEmpty());
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.close_code(), kCloseProtocolError);
}

// A stream exercising every event, length form and fragmentation case.
std::string MixedStream() {
  std::string binary(70000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7);
  return Text("hello") + Ping("") + Binary(binary) + Text("\xe2\x82", false) + Ping("in between") +
         Continuation("\xac and \xf0\x9f", false) + Pong("pong") + Continuation("", false) +
         Continuation("\x98\x80 end") + Binary(std::string(300, 'm'), false) +
         Continuation(std::string(70000, 'n')) + Text("") +
         ClientFrame(FirstByte(Opcode::kText), "sixteen", {true, LengthForm::k16, 0x01020304}) +
         Close(1000, "done");
}

TEST(FrameReaderTest, AnySplitGivesTheSameEvents) {
  const std::string stream = MixedStream();
  const Outcome whole = Whole(stream);
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  ASSERT_EQ(whole.events.size(), 10u);
  EXPECT_EQ(whole.events[3], "ping:in between");
  EXPECT_EQ(whole.events[4], "pong:pong");
  EXPECT_EQ(whole.events[5], "text:\xe2\x82\xac and \xf0\x9f\x98\x80 end");
  EXPECT_EQ(whole.events[6], "binary:" + std::string(300, 'm') + std::string(70000, 'n'));
  EXPECT_EQ(whole.events[9], "close:1000:done");

  for (Mode mode : {Mode::kCopy, Mode::kInPlace, Mode::kMixed}) {
    const Outcome bytes = Feed(stream, ByteAtATime(stream.size()), mode);
    EXPECT_TRUE(bytes.status.ok());
    EXPECT_EQ(bytes.events, whole.events);
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> chunks;
    std::uniform_int_distribution<size_t> size(0, round % 2 == 0 ? 20 : 5000);
    for (size_t total = 0; total < stream.size();) {
      chunks.push_back(size(rng));
      total += chunks.back();
    }
    const Mode mode = static_cast<Mode>(round % 3);
    const Outcome out = Feed(stream, chunks, mode);
    ASSERT_TRUE(out.status.ok()) << "round " << round;
    ASSERT_EQ(out.events, whole.events) << "round " << round;
  }
}

TEST(FrameReaderTest, AnySplitGivesTheSameError) {
  const std::string stream =
      Text("one") + Text("\xce\xba\xe1\xbd", false) + Ping("p") + Continuation("\xb9\xcf\x83", false) +
      Continuation("\xce\xbc\xce\xb5\xed\xa0\x80 and more", true);
  ExpectFailure(stream, kCloseInvalidPayload, {"text:one", "ping:p"});
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    std::vector<size_t> chunks;
    std::uniform_int_distribution<size_t> size(0, 9);
    for (size_t total = 0; total < stream.size();) {
      chunks.push_back(size(rng));
      total += chunks.back();
    }
    const Outcome out = Feed(stream, chunks, static_cast<Mode>(round % 3));
    EXPECT_EQ(out.close_code, kCloseInvalidPayload);
    EXPECT_THAT(out.events, ElementsAre("text:one", "ping:p"));
  }
}

TEST(FrameReaderTest, RoundTripThroughTheEncoder) {
  uint32_t key = 0x9abcdef0;
  for (size_t len : {0, 1, 3, 4, 5, 8, 9, 125, 126, 65535, 65536, 100003}) {
    std::string payload(len, '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('A' + i % 50);
    for (Opcode op : {Opcode::kText, Opcode::kBinary}) {
      key = key * 2654435761u + 1;
      const std::string frame = MaskServerFrame(EncodeFrame(op, payload), key);
      const Outcome out = Whole(frame);
      ASSERT_TRUE(out.status.ok()) << len;
      EXPECT_THAT(out.events,
                  ElementsAre(absl::StrCat(op == Opcode::kText ? "text:" : "binary:", payload)));
      EXPECT_EQ(Feed(frame, {}, Mode::kInPlace).events, out.events);
    }
  }
  ExpectEvents(MaskServerFrame(EncodeFrame(Opcode::kPing, "are you there"), 0xdeadbeef),
               {"ping:are you there"});
  ExpectEvents(MaskServerFrame(EncodeFrame(Opcode::kPong, "yes"), 0), {"pong:yes"});
  ExpectEvents(MaskServerFrame(EncodeCloseFrame(1000, "bye \xc3\xa9"), 0x11223344),
               {"close:1000:bye \xc3\xa9"});
  ExpectEvents(MaskServerFrame(EncodeCloseFrame(kCloseNoStatus, ""), 0x11223344),
               {"close:1005:"});
}

TEST(FrameReaderTest, ConsumeInPlaceHandsOutViewsIntoTheCallersBuffer) {
  FrameReader reader({});
  Recorder recorder;
  std::string stream = Binary(std::string(1000, 'z')) + Ping("ping!");
  ASSERT_TRUE(reader.ConsumeInPlace(stream.data(), stream.size(), recorder).ok());
  ASSERT_EQ(recorder.events.size(), 2u);
  EXPECT_EQ(recorder.events[0], "binary:" + std::string(1000, 'z'));
  EXPECT_EQ(recorder.last_payload.data(), stream.data() + stream.size() - 5);
}

TEST(FrameReaderTest, ConsumeLeavesTheInputUntouched) {
  const std::string stream = MixedStream();
  std::string input = stream;
  FrameReader reader({});
  Recorder recorder;
  ASSERT_TRUE(reader.Consume(input.data(), input.size(), recorder).ok());
  EXPECT_EQ(input, stream);
}

TEST(FrameReaderTest, ManyMessagesInARow) {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    const std::string payload(i * 13 % 9000, static_cast<char>('a' + i % 26));
    stream += i % 2 == 0 ? Text(payload) : Binary(payload);
    expected.push_back((i % 2 == 0 ? "text:" : "binary:") + payload);
  }
  const Outcome out = Whole(stream);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.events, expected);
}

}  // namespace
}  // namespace switchboard::gateway::ws
