#include "gateway/codec/frame_codec.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "gateway/ws/utf8_validator.h"

namespace switchboard::gateway {

using switchboard::client::v1::ClientFrame;
using switchboard::client::v1::ServerFrame;

absl::Status DecodeClientFrame(absl::string_view data, FrameFormat format, ClientFrame* frame) {
  frame->Clear();
  if (format == FrameFormat::kProtobuf) {
    if (!frame->ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return absl::InvalidArgumentError("frame is not a valid protobuf ClientFrame");
    }
  } else {
    google::protobuf::util::JsonParseOptions options;
    // Unknown keys are tolerated so that newer clients can add optional fields;
    // a frame whose only keys are unknown is reported as an unknown type below.
    options.ignore_unknown_fields = true;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(data.data(), data.size()), frame, options);
    if (!status.ok()) {
      // The parser's message quotes the input around the error; keep its first
      // line, cut to valid UTF-8, since it goes back to the client in an Error
      // frame (a protobuf string field must be UTF-8).
      std::string reason = status.message().as_string();
      reason = reason.substr(0, reason.find('\n'));
      reason.resize(ws::Utf8Validator::ValidPrefixLength(reason, 200));
      return absl::InvalidArgumentError(
          absl::StrCat("frame is not a valid JSON ClientFrame: ", reason));
    }
  }
  if (frame->kind_case() == ClientFrame::KIND_NOT_SET) {
    return absl::UnimplementedError("unknown or missing frame type");
  }
  return absl::OkStatus();
}

std::string EncodeServerFrame(const ServerFrame& frame, FrameFormat format) {
  std::string out;
  if (format == FrameFormat::kProtobuf) {
    frame.SerializeToString(&out);
  } else {
    google::protobuf::util::JsonPrintOptions options;
    // Does not fail for anything the gateway builds (a NaN in a Value is
    // printed as "NaN"); an empty object is still a valid frame if it did.
    if (!google::protobuf::util::MessageToJsonString(frame, &out, options).ok()) out = "{}";
  }
  return out;
}

}  // namespace switchboard::gateway
