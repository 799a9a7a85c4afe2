#ifndef SWITCHBOARD_TOOLS_SBCTL_FORMAT_H_
#define SWITCHBOARD_TOOLS_SBCTL_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/switchboard/client/v1/client.pb.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::sbctl {

// Text as is, JSON compact, binary as "<N bytes> base64:...".
std::string FormatPayload(const switchboard::client::v1::Payload& payload);

// RFC 3339 in UTC with milliseconds; "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& ts);

// "alice/c-123", or "control plane" for an empty sender.
std::string FormatSender(const switchboard::client::v1::Sender& sender);

// One line for a Watch event: "TIME  [OFFSET] SENDER: PAYLOAD" for messages,
// "presence: USER (CONNECTION) joined|left", "TIME  ~TYPE SENDER: PAYLOAD" for
// ephemeral events.
std::string FormatWatchEvent(const switchboard::control::v1::WatchEvent& event);

// A Struct as compact JSON; "" when empty.
std::string FormatStruct(const google::protobuf::Struct& value);

// The protobuf JSON mapping on one line (fields with default values
// included, so offsets of 0 are visible).
std::string ToJsonLine(const google::protobuf::Message& message);

// Parses `json` into a Payload's json value (InvalidArgument if it is not JSON).
absl::StatusOr<switchboard::client::v1::Payload> JsonPayload(absl::string_view json);

}  // namespace switchboard::sbctl

#endif  // SWITCHBOARD_TOOLS_SBCTL_FORMAT_H_
