#include "clients/cpp/frame_format.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::ServerFrame;

TEST(FrameFormatTest, SubprotocolsMapToFormats) {
  EXPECT_EQ(SubprotocolName(Format::kProtobuf), "switchboard.v1.proto");
  EXPECT_EQ(SubprotocolName(Format::kJson), "switchboard.v1.json");
  EXPECT_EQ(FormatFromSubprotocol("switchboard.v1.proto"), Format::kProtobuf);
  EXPECT_EQ(FormatFromSubprotocol("switchboard.v1.json"), Format::kJson);
  EXPECT_EQ(FormatFromSubprotocol("switchboard.v2.json"), std::nullopt);
  EXPECT_EQ(FormatFromSubprotocol(""), std::nullopt);
  EXPECT_TRUE(IsBinary(Format::kProtobuf));
  EXPECT_FALSE(IsBinary(Format::kJson));
}

class FrameFormatRoundTripTest : public ::testing::TestWithParam<Format> {};

TEST_P(FrameFormatRoundTripTest, ServerFramesSurviveEncodeAndDecode) {
  ServerFrame frame;
  frame.set_id(18446744073709551615ull);  // uint64 max: a string in JSON
  v1::Message* message = frame.mutable_message();
  message->set_room("room-1");
  message->set_offset(42);
  message->mutable_payload()->set_binary(std::string("\0\x01\xff", 3));
  absl::StatusOr<std::string> encoded = Encode(frame, GetParam());
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  absl::StatusOr<ServerFrame> decoded = Decode(*encoded, GetParam());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->SerializeAsString(), frame.SerializeAsString());
}

TEST_P(FrameFormatRoundTripTest, ClientFramesDecodeWithDecodeInto) {
  ClientFrame frame;
  frame.set_id(7);
  frame.mutable_join()->set_room("room-1");
  frame.mutable_join()->set_since_offset(0);  // present although zero
  absl::StatusOr<std::string> encoded = Encode(frame, GetParam());
  ASSERT_TRUE(encoded.ok());
  ClientFrame decoded;
  decoded.set_id(99);  // cleared first
  ASSERT_TRUE(DecodeInto(*encoded, GetParam(), &decoded).ok());
  EXPECT_EQ(decoded.id(), 7u);
  EXPECT_TRUE(decoded.join().has_since_offset());
}

TEST_P(FrameFormatRoundTripTest, GarbageIsInvalidArgument) {
  for (const std::string& garbage :
       {std::string("\xff\xff\xff\xff"), std::string("{\"id\": [1,"),
        std::string("\x0a\x05room")}) {
    absl::StatusOr<ServerFrame> decoded = Decode(garbage, GetParam());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument)
        << garbage;
  }
}

INSTANTIATE_TEST_SUITE_P(BothFormats, FrameFormatRoundTripTest,
                         ::testing::Values(Format::kProtobuf, Format::kJson),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return std::string(FormatName(info.param));
                         });

TEST(FrameFormatTest, JsonUsesTheProtobufJsonMapping) {
  ClientFrame frame;
  frame.set_id(3);
  frame.mutable_publish()->set_room("r");
  frame.mutable_publish()->set_message_id("m");
  frame.mutable_publish()->mutable_payload()->set_text("hi");
  absl::StatusOr<std::string> json = Encode(frame, Format::kJson);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"id":"3","publish":{"room":"r","messageId":"m",)"
                   R"("payload":{"text":"hi"}}})");
}

TEST(FrameFormatTest, JsonAcceptsBothFieldNameStylesAndUnknownFields) {
  absl::StatusOr<ServerFrame> frame = Decode(
      R"({"id":"5","publish_ack":{"room":"r","offset":"9","duplicate":true},)"
      R"("futureField":{"x":1}})",
      Format::kJson);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->id(), 5u);
  EXPECT_EQ(frame->publish_ack().offset(), 9u);
  EXPECT_TRUE(frame->publish_ack().duplicate());
}

TEST(FrameFormatTest, UnknownKindsDecodeAsKindNotSet) {
  // Field 99 (length-delimited) is no kind this client knows.
  const std::string future("\x08\x01\x9a\x06\x00", 5);
  absl::StatusOr<ServerFrame> frame = Decode(future, Format::kProtobuf);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->id(), 1u);
  EXPECT_EQ(frame->kind_case(), ServerFrame::KIND_NOT_SET);
}

}  // namespace
}  // namespace client
}  // namespace switchboard
