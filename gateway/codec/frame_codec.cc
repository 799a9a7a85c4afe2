#include "gateway/codec/frame_codec.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

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
      return absl::InvalidArgumentError(
          absl::StrCat("frame is not a valid JSON ClientFrame: ", status.message().as_string()));
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
    // Only fails on invalid field contents (e.g. a Value holding NaN), which the
    // gateway never builds; an empty object is still a valid frame.
    if (!google::protobuf::util::MessageToJsonString(frame, &out, options).ok()) out = "{}";
  }
  return out;
}

}  // namespace switchboard::gateway
