#include "bench/micro/sample_frames.h"

#include "google/protobuf/util/json_util.h"

namespace switchboard::bench {
namespace {

void FillPayload(gateway::FrameFormat format, client::v1::Payload* payload) {
  if (format == gateway::FrameFormat::kProtobuf) {
    payload->set_binary(std::string(kSamplePayloadBytes, '\x5a'));
  } else {
    payload->set_text(std::string(kSamplePayloadBytes, 'x'));
  }
}

}  // namespace

client::v1::ClientFrame SamplePublish(gateway::FrameFormat format) {
  client::v1::ClientFrame frame;
  frame.set_id(12345);
  client::v1::Publish* publish = frame.mutable_publish();
  publish->set_room(kSampleRoom);
  publish->set_message_id("m123456-42-1000");
  FillPayload(format, publish->mutable_payload());
  return frame;
}

client::v1::ServerFrame SampleMessage(gateway::FrameFormat format) {
  client::v1::ServerFrame frame;
  client::v1::Message* message = frame.mutable_message();
  message->set_room(kSampleRoom);
  message->set_offset(1234567);
  message->set_message_id("m123456-42-1000");
  message->mutable_sender()->set_user_id("bench-10000");
  message->mutable_sender()->set_connection_id("gw-1.abcdef.10001");
  message->mutable_time()->set_seconds(1795000000);
  message->mutable_time()->set_nanos(123456789);
  FillPayload(format, message->mutable_payload());
  return frame;
}

std::string ClientWire(const client::v1::ClientFrame& frame, gateway::FrameFormat format) {
  std::string out;
  if (format == gateway::FrameFormat::kProtobuf) {
    frame.SerializeToString(&out);
  } else {
    google::protobuf::util::MessageToJsonString(frame, &out);
  }
  return out;
}

}  // namespace switchboard::bench
