#include "clients/cpp/frame_format.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace switchboard {
namespace client {

absl::string_view SubprotocolName(Format format) {
  return format == Format::kJson ? kJsonSubprotocol : kProtobufSubprotocol;
}

std::optional<Format> FormatFromSubprotocol(absl::string_view subprotocol) {
  if (subprotocol == kProtobufSubprotocol) return Format::kProtobuf;
  if (subprotocol == kJsonSubprotocol) return Format::kJson;
  return std::nullopt;
}

bool IsBinary(Format format) { return format == Format::kProtobuf; }

absl::string_view FormatName(Format format) {
  return format == Format::kJson ? "json" : "protobuf";
}

absl::StatusOr<std::string> Encode(const google::protobuf::Message& frame,
                                   Format format) {
  std::string out;
  if (format == Format::kProtobuf) {
    if (!frame.SerializeToString(&out)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot serialize ", frame.GetTypeName()));
    }
    return out;
  }
  google::protobuf::util::JsonPrintOptions options;
  auto status =
      google::protobuf::util::MessageToJsonString(frame, &out, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot encode ", frame.GetTypeName(), " as JSON: ",
        std::string(status.message().data(), status.message().size())));
  }
  return out;
}

absl::Status DecodeInto(absl::string_view data, Format format,
                        google::protobuf::Message* frame) {
  frame->Clear();
  if (format == Format::kProtobuf) {
    // ParseFromArray takes an int; anything larger is not a frame we accept.
    if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        !frame->ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      frame->Clear();
      return absl::InvalidArgumentError(
          absl::StrCat("not a protobuf ", frame->GetTypeName()));
    }
    return absl::OkStatus();
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(data.data(), data.size()), frame, options);
  if (!status.ok()) {
    frame->Clear();
    return absl::InvalidArgumentError(absl::StrCat(
        "not a JSON ", frame->GetTypeName(), ": ",
        std::string(status.message().data(), status.message().size())));
  }
  return absl::OkStatus();
}

absl::StatusOr<switchboard::client::v1::ServerFrame> Decode(
    absl::string_view data, Format format) {
  switchboard::client::v1::ServerFrame frame;
  absl::Status status = DecodeInto(data, format, &frame);
  if (!status.ok()) return status;
  return frame;
}

}  // namespace client
}  // namespace switchboard
