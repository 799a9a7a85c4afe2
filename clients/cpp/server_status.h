#ifndef SWITCHBOARD_CLIENTS_CPP_SERVER_STATUS_H_
#define SWITCHBOARD_CLIENTS_CPP_SERVER_STATUS_H_

// Turns what the gateway says (Error frames, WebSocket close codes) into
// absl::Status, and back. Pure functions, safe from any thread.

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// The close code reported when the connection ended without a close frame
// (TCP reset, EOF, timeout). RFC 6455 reserves it for exactly this; it never
// travels on the wire.
inline constexpr uint16_t kCloseCodeAbnormal = 1006;

// The status payload URL under which ServerErrorToStatus keeps the Error frame.
inline constexpr char kServerErrorPayloadUrl[] =
    "type.googleapis.com/switchboard.client.v1.Error";

// Maps an Error frame onto the most specific absl::StatusCode
// (PERMISSION_DENIED -> kPermissionDenied, RATE_LIMITED -> kResourceExhausted,
// INVALID_ROOM and BAD_REQUEST -> kInvalidArgument, ...). The message is the
// server's message (the ErrorCode name when the server sent none); the whole
// Error frame rides along as a payload for ErrorCodeOf / ServerErrorOf.
absl::Status ServerErrorToStatus(const switchboard::client::v1::Error& error);

// The ErrorCode of a status made by ServerErrorToStatus; ERROR_CODE_UNSPECIFIED
// for any other status (OK, timeouts, transport errors).
switchboard::client::v1::ErrorCode ErrorCodeOf(const absl::Status& status);

// The whole Error frame (room, retry_after, ...) of a status made by
// ServerErrorToStatus; nullopt for any other status.
std::optional<switchboard::client::v1::Error> ServerErrorOf(
    const absl::Status& status);

// The status of an operation cut short because the connection closed with
// `code`: kUnauthenticated for 4001/4002, kPermissionDenied for KICKED,
// kFailedPrecondition for protocol violations the client caused,
// kResourceExhausted for connection and rate limits, kUnavailable otherwise.
absl::Status CloseToStatus(uint16_t code, absl::string_view reason);

// Whether a client should reconnect on its own after a close with `code`, as
// CloseCode in client.proto says. Codes this client does not know count as
// retryable: reconnects always go through backoff, so a wrong guess costs
// little, while giving up on an unknown code loses the session.
bool ShouldReconnectAfterClose(uint16_t code);

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_SERVER_STATUS_H_
