#ifndef SWITCHBOARD_CLIENTS_CPP_MESSAGE_UTIL_H_
#define SWITCHBOARD_CLIENTS_CPP_MESSAGE_UTIL_H_

// Small builders for what a Publish carries. Safe from any thread.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

switchboard::client::v1::Payload TextPayload(absl::string_view text);
switchboard::client::v1::Payload BinaryPayload(absl::string_view bytes);

// A `json` payload from JSON text (any JSON value); InvalidArgument when
// `json` does not parse.
absl::StatusOr<switchboard::client::v1::Payload> JsonPayload(
    absl::string_view json);

// A fresh random message id: a version 4 UUID in its 36-character text form
// (the protocol takes 1-64 bytes). 122 random bits make collisions within a
// dedupe window negligible.
std::string NewMessageId();

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_MESSAGE_UTIL_H_
