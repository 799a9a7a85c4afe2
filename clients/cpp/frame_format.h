#ifndef SWITCHBOARD_CLIENTS_CPP_FRAME_FORMAT_H_
#define SWITCHBOARD_CLIENTS_CPP_FRAME_FORMAT_H_

// The two wire formats of the Switchboard WebSocket protocol: one serialized
// frame per WebSocket message, either protobuf binary on binary messages
// ("switchboard.v1.proto") or the protobuf JSON mapping on text messages
// ("switchboard.v1.json"). Pure functions, safe from any thread.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

enum class Format {
  kProtobuf,  // binary WebSocket messages, protobuf wire format
  kJson,      // text WebSocket messages, protobuf JSON mapping
};

inline constexpr char kProtobufSubprotocol[] = "switchboard.v1.proto";
inline constexpr char kJsonSubprotocol[] = "switchboard.v1.json";

// The Sec-WebSocket-Protocol value that selects `format`.
absl::string_view SubprotocolName(Format format);

// The format a negotiated subprotocol stands for; nullopt for anything else.
std::optional<Format> FormatFromSubprotocol(absl::string_view subprotocol);

// True when frames of `format` travel as binary WebSocket messages.
bool IsBinary(Format format);

// "protobuf" or "json", for logs and test names.
absl::string_view FormatName(Format format);

// Serializes one frame (a ClientFrame from a client, a ServerFrame from a
// server or a fake one). Fails only when the frame cannot be represented, e.g.
// a string field holding invalid UTF-8 in the JSON format.
absl::StatusOr<std::string> Encode(const google::protobuf::Message& frame,
                                   Format format);

// Parses one ServerFrame. Unknown fields are ignored in both formats so that
// an older client keeps working with a newer gateway; a frame whose `kind` this
// client does not know comes back with kind_case() == KIND_NOT_SET. Returns
// InvalidArgument for bytes that are not a frame of `format`. `data` is
// untrusted: any input is answered with a status, never a crash.
absl::StatusOr<switchboard::client::v1::ServerFrame> Decode(
    absl::string_view data, Format format);

// Like Decode, into any frame type (servers and fakes parse ClientFrames).
// Clears `frame` first.
absl::Status DecodeInto(absl::string_view data, Format format,
                        google::protobuf::Message* frame);

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_FRAME_FORMAT_H_
