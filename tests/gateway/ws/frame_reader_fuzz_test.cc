#include "gateway/ws/frame_reader_fuzz.h"

#include <cstdint>
#include <random>
#include <string>

#include "gateway/ws/frame_encoder.h"
#include "gtest/gtest.h"
#include "tests/gateway/ws/client_frame.h"

namespace switchboard::gateway::ws {
namespace {

absl::Status Check(const std::string& input) {
  return CheckFrameReaderOnInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// A random run of mostly well-formed frames, so that mutations reach deep
// into the parser instead of failing on the first byte.
std::string RandomStream(std::mt19937& rng) {
  std::string stream;
  const int frames = rng() % 8;
  bool in_message = false;
  for (int i = 0; i < frames; ++i) {
    const size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 10;
    std::string payload(len, '\0');
    for (char& c : payload) c = rng() % 3 == 0 ? static_cast<char>(rng()) : 'a' + rng() % 26;
    switch (rng() % 6) {
      case 0:
        stream += Ping(payload.substr(0, 125));
        break;
      case 1:
        stream += Close(1000 + rng() % 20, payload.substr(0, 20));
        break;
      case 2:
        stream += in_message ? Continuation(payload, false) : Text(payload, false);
        in_message = true;
        break;
      case 3:
        stream += in_message ? Continuation(payload) : Binary(payload);
        in_message = false;
        break;
      default:
        stream += in_message ? Continuation(payload) : Text(payload);
        in_message = false;
        break;
    }
  }
  return stream;
}

TEST(FrameReaderFuzzTest, TooShortInputsAreFine) {
  EXPECT_TRUE(Check("").ok());
  EXPECT_TRUE(Check("abcd").ok());
}

TEST(FrameReaderFuzzTest, SeedStreams) {
  const std::string prefix("\x3f\x01\x02\x03\x04", 5);  // 1 MiB limits.
  EXPECT_TRUE(Check(prefix + Text("hello") + Ping("p") + Close(1000, "bye")).ok());
  EXPECT_TRUE(Check(prefix + Text("\xe2\x82", false) + Ping("x") + Continuation("\xac")).ok());
  EXPECT_TRUE(Check(prefix + Binary(std::string(70000, 'b'))).ok());
  EXPECT_TRUE(Check(prefix + Text("bad \xff")).ok());
  EXPECT_TRUE(Check(prefix + MaskServerFrame(EncodeCloseFrame(1001, "x"), 5)).ok());
}

TEST(FrameReaderFuzzTest, RandomBytes) {
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::string input(5 + rng() % 64, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    const absl::Status status = Check(input);
    ASSERT_TRUE(status.ok()) << status << " on input " << i;
  }
}

TEST(FrameReaderFuzzTest, MutatedStreams) {
  std::mt19937 rng(2);
  for (int i = 0; i < 20000; ++i) {
    std::string input(5, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    input += RandomStream(rng);
    const int flips = rng() % 4;
    for (int f = 0; f < flips && input.size() > 5; ++f) {
      input[5 + rng() % (input.size() - 5)] ^= static_cast<char>(1 << (rng() % 8));
    }
    const absl::Status status = Check(input);
    ASSERT_TRUE(status.ok()) << status << " on input " << i;
  }
}

}  // namespace
}  // namespace switchboard::gateway::ws
