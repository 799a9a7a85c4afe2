#include "gateway/codec/frame_codec.h"

#include "gtest/gtest.h"

namespace switchboard::gateway {
namespace {

using switchboard::client::v1::ClientFrame;
using switchboard::client::v1::ServerFrame;

TEST(FrameCodecTest, DecodesJsonPublishWithPlainJsonPayload) {
  ClientFrame frame;
  ASSERT_TRUE(DecodeClientFrame(
                  R"({"id":"7","publish":{"room":"lobby","messageId":"m1",)"
                  R"("payload":{"json":{"text":"hi","n":[1,2]}}}})",
                  FrameFormat::kJson, &frame)
                  .ok());
  EXPECT_EQ(frame.id(), 7u);
  ASSERT_EQ(frame.kind_case(), ClientFrame::kPublish);
  EXPECT_EQ(frame.publish().room(), "lobby");
  EXPECT_EQ(frame.publish().payload().json().struct_value().fields().at("text").string_value(),
            "hi");
}

TEST(FrameCodecTest, AcceptsSnakeCaseAndNumericIds) {
  ClientFrame frame;
  ASSERT_TRUE(DecodeClientFrame(R"({"id":3,"join":{"room":"a","since_offset":"12"}})",
                                FrameFormat::kJson, &frame)
                  .ok());
  EXPECT_EQ(frame.join().since_offset(), 12u);
}

TEST(FrameCodecTest, RejectsInvalidJson) {
  ClientFrame frame;
  absl::Status status = DecodeClientFrame("{not json", FrameFormat::kJson, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  status = DecodeClientFrame(R"({"id":"x"})", FrameFormat::kJson, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

// Found by client_frame_fuzz: the parser's message quoted the input cut in the
// middle of a UTF-8 character, and that reason goes back in an Error frame.
TEST(FrameCodecTest, ErrorReasonIsValidUtf8) {
  ClientFrame frame;
  absl::Status status = DecodeClientFrame(
      "{\"join\":x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9}",
      FrameFormat::kJson, &frame);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  switchboard::client::v1::ServerFrame reply;
  reply.mutable_error()->set_message(std::string(status.message()));
  std::string bytes;
  ASSERT_TRUE(reply.SerializeToString(&bytes));
  EXPECT_TRUE(reply.ParseFromString(bytes)) << status.message();
}

TEST(FrameCodecTest, UnknownFrameTypeIsUnimplemented) {
  ClientFrame frame;
  EXPECT_EQ(DecodeClientFrame(R"({"id":"1","subscribe":{"room":"a"}})", FrameFormat::kJson, &frame)
                .code(),
            absl::StatusCode::kUnimplemented);
  // Field 99 (varint) is not a frame type this version knows.
  EXPECT_EQ(DecodeClientFrame(std::string("\x08\x01\x98\x06\x01", 5), FrameFormat::kProtobuf,
                              &frame)
                .code(),
            absl::StatusCode::kUnimplemented);
}

TEST(FrameCodecTest, RejectsMalformedProtobuf) {
  ClientFrame frame;
  EXPECT_EQ(DecodeClientFrame("\xff\xff\xff", FrameFormat::kProtobuf, &frame).code(),
            absl::StatusCode::kInvalidArgument);
  // Length-delimited field claiming more bytes than present.
  EXPECT_EQ(DecodeClientFrame(std::string("\x6a\x10\x0a", 3), FrameFormat::kProtobuf, &frame)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FrameCodecTest, ServerFramesRoundTripInBothFormats) {
  ServerFrame frame;
  frame.set_id(5);
  auto* message = frame.mutable_message();
  message->set_room("lobby");
  message->set_offset(42);
  message->mutable_payload()->set_text("hello");
  std::string binary = EncodeServerFrame(frame, FrameFormat::kProtobuf);
  ServerFrame parsed;
  ASSERT_TRUE(parsed.ParseFromString(binary));
  EXPECT_EQ(parsed.message().offset(), 42u);

  std::string json = EncodeServerFrame(frame, FrameFormat::kJson);
  EXPECT_NE(json.find(R"("offset":"42")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("text":"hello")"), std::string::npos) << json;
}

}  // namespace
}  // namespace switchboard::gateway
