// libFuzzer target for the client frame decoder (gateway/codec/frame_codec.h):
// the payload of every WebSocket message a client sends.
//
// Input: byte 0 picks the format (bit 0: 0 = protobuf, 1 = JSON), the rest is
// one message. Decoding must never crash and fails only with InvalidArgument or
// Unimplemented. What the gateway does next with client bytes is checked too:
// - a decoded frame survives a protobuf round trip unchanged;
// - the server frames that carry client-chosen content to other clients
//   (Message, EphemeralEvent, PresenceEvent, and Error with the decoder's
//   reason) survive a protobuf round trip unchanged as well;
// - the JSON form of each is valid UTF-8 (it goes out as a text frame), decodes,
//   and is stable: decoded and printed again, it decodes to the same frame. It
//   need not equal the original, since JSON cannot say everything protobuf
//   can: a NaN or Infinity number becomes the string "NaN", a Value without a
//   kind disappears from its Struct, unknown fields are dropped.
// Any violation aborts, so libFuzzer keeps the input.
//
// JSON input that is not UTF-8 is decoded (it must not crash) but not checked
// further: the frame reader refuses such text frames before they get here.

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/ws/utf8_validator.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;
using switchboard::client::v1::ClientFrame;
using switchboard::client::v1::ServerFrame;
using switchboard::gateway::DecodeClientFrame;
using switchboard::gateway::EncodeServerFrame;
using switchboard::gateway::FrameFormat;
using switchboard::gateway::ws::Utf8Validator;

[[noreturn]] void Fail(absl::string_view what, const Message& message,
                       absl::string_view details = "") {
  std::fprintf(stderr, "client frame check failed: %.*s\nframe: %s\n%.*s\n",
               static_cast<int>(what.size()), what.data(), message.ShortDebugString().c_str(),
               static_cast<int>(details.size()), details.data());
  std::abort();
}

// Equal as protobuf sees it, except that NaN equals NaN (a Value may carry one
// through the protobuf encoding). Empty when equal, else the differences.
std::string Differences(const Message& expected, const Message& actual) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(expected, actual)) return "";
  return report.empty() ? "(unreported difference)" : report;
}

// Protobuf logs every invalid UTF-8 string it serializes; at fuzzing speed
// that is noise, and the checks below report what matters.
void IgnoreProtobufLog(google::protobuf::LogLevel, const char*, int, const std::string&) {}

std::string ToJson(const ServerFrame& frame) {
  return EncodeServerFrame(frame, FrameFormat::kJson);
}
std::string ToJson(const ClientFrame& frame) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  if (!google::protobuf::util::MessageToJsonString(frame, &json, options).ok()) json.clear();
  return json;
}
bool FromJson(const std::string& json, ServerFrame* frame) {
  google::protobuf::util::JsonParseOptions options;
  return google::protobuf::util::JsonStringToMessage(json, frame, options).ok();
}
bool FromJson(const std::string& json, ClientFrame* frame) {
  return DecodeClientFrame(json, FrameFormat::kJson, frame).ok();
}

template <typename Frame>
void CheckProtobufForm(const Frame& frame, absl::string_view what) {
  std::string binary;
  if (!frame.SerializeToString(&binary)) Fail(absl::StrCat(what, ": does not serialize"), frame);
  Frame again;
  if (!again.ParseFromString(binary)) {
    Fail(absl::StrCat(what, ": protobuf form does not parse"), frame);
  }
  if (std::string diff = Differences(frame, again); !diff.empty()) {
    Fail(absl::StrCat(what, ": protobuf round trip differs"), frame, diff);
  }
}

template <typename Frame>
void CheckJsonForm(const Frame& frame, absl::string_view what) {
  const std::string json = ToJson(frame);
  // No JSON form at all; "{}" is EncodeServerFrame's documented fallback then.
  if (json.empty() || json == "{}") return;
  if (!Utf8Validator::IsValid(json)) {
    Fail(absl::StrCat(what, ": JSON form is not UTF-8"), frame, json);
  }
  Frame once;
  if (!FromJson(json, &once)) Fail(absl::StrCat(what, ": JSON form does not decode"), frame, json);
  const std::string json_again = ToJson(once);
  Frame twice;
  if (!FromJson(json_again, &twice)) {
    Fail(absl::StrCat(what, ": JSON form of the decoded JSON does not decode"), frame, json_again);
  }
  if (std::string diff = Differences(once, twice); !diff.empty()) {
    Fail(absl::StrCat(what, ": JSON form is not stable"), frame,
         absl::StrCat(json, "\n", json_again, "\n", diff));
  }
}

void CheckServerFrame(const ServerFrame& frame) {
  // What a protobuf session receives must parse, or the client drops the frame.
  ServerFrame from_binary;
  if (!from_binary.ParseFromString(EncodeServerFrame(frame, FrameFormat::kProtobuf))) {
    Fail("server frame: EncodeServerFrame output does not parse", frame);
  }
  CheckProtobufForm(frame, "server frame");
  CheckJsonForm(frame, "server frame");
}

// The frames in which the gateway hands a decoded client frame's content to
// other clients.
void CheckRelayedContent(const ClientFrame& frame) {
  ServerFrame out;
  switch (frame.kind_case()) {
    case ClientFrame::kPublish: {
      auto* message = out.mutable_message();
      message->set_room(frame.publish().room());
      message->set_offset(42);
      message->set_message_id(frame.publish().message_id());
      message->mutable_sender()->set_user_id("user-1");
      *message->mutable_payload() = frame.publish().payload();
      break;
    }
    case ClientFrame::kEphemeral: {
      auto* event = out.mutable_ephemeral();
      event->set_room(frame.ephemeral().room());
      event->set_type(frame.ephemeral().type());
      event->set_name(frame.ephemeral().name());
      *event->mutable_payload() = frame.ephemeral().payload();
      break;
    }
    case ClientFrame::kJoin: {
      auto* presence = out.mutable_presence();
      presence->set_room(frame.join().room());
      *presence->mutable_info()->mutable_meta() = frame.join().meta();
      break;
    }
    default:
      // Nothing of the frame reaches other clients.
      return;
  }
  CheckServerFrame(out);
}

void CheckClientFrame(const ClientFrame& frame) {
  CheckProtobufForm(frame, "client frame");
  CheckJsonForm(frame, "client frame");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(&IgnoreProtobufLog);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const FrameFormat format = (data[0] & 1) != 0 ? FrameFormat::kJson : FrameFormat::kProtobuf;
  const absl::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);

  ClientFrame frame;
  const absl::Status status = DecodeClientFrame(payload, format, &frame);
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument &&
      status.code() != absl::StatusCode::kUnimplemented) {
    Fail("decode failed with an undocumented code", frame);
  }
  if (format == FrameFormat::kJson && !Utf8Validator::IsValid(payload)) return 0;

  if (!status.ok()) {
    // The reason goes back to the client in an Error frame.
    ServerFrame error;
    error.set_id(7);
    error.mutable_error()->set_code(switchboard::client::v1::ERROR_CODE_BAD_REQUEST);
    error.mutable_error()->set_message(std::string(status.message()));
    CheckServerFrame(error);
    return 0;
  }
  CheckClientFrame(frame);
  CheckRelayedContent(frame);
  return 0;
}
