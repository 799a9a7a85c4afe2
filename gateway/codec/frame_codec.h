#ifndef SWITCHBOARD_GATEWAY_CODEC_FRAME_CODEC_H_
#define SWITCHBOARD_GATEWAY_CODEC_FRAME_CODEC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::gateway {

// The two wire formats a session negotiates through the WebSocket subprotocol.
enum class FrameFormat {
  kProtobuf,  // "switchboard.v1.proto": binary frames, serialized protobuf
  kJson,      // "switchboard.v1.json": text frames, protobuf JSON mapping
};

inline constexpr char kProtobufSubprotocol[] = "switchboard.v1.proto";
inline constexpr char kJsonSubprotocol[] = "switchboard.v1.json";

// Decodes one client message. InvalidArgument for bytes that are not a
// ClientFrame in that format; Unimplemented for a well-formed frame whose type
// this gateway does not know (a newer client, or a typo in a JSON key).
// Safe on arbitrary bytes; callable from any thread.
absl::Status DecodeClientFrame(absl::string_view data, FrameFormat format,
                               switchboard::client::v1::ClientFrame* frame);

// Serializes a server frame in the given format. JSON uses lowerCamelCase keys
// and omits defaults, as the protobuf JSON mapping does.
std::string EncodeServerFrame(const switchboard::client::v1::ServerFrame& frame,
                              FrameFormat format);

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_CODEC_FRAME_CODEC_H_
