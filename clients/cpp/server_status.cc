#include "clients/cpp/server_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::Error;
using ::switchboard::client::v1::ErrorCode;

absl::StatusCode StatusCodeFor(ErrorCode code) {
  switch (code) {
    case v1::ERROR_CODE_BAD_REQUEST:
    case v1::ERROR_CODE_INVALID_ROOM:
    case v1::ERROR_CODE_PAYLOAD_TOO_LARGE:
      return absl::StatusCode::kInvalidArgument;
    case v1::ERROR_CODE_NOT_CONNECTED:
    case v1::ERROR_CODE_NOT_JOINED:
      return absl::StatusCode::kFailedPrecondition;
    case v1::ERROR_CODE_UNAUTHENTICATED:
      return absl::StatusCode::kUnauthenticated;
    case v1::ERROR_CODE_PERMISSION_DENIED:
      return absl::StatusCode::kPermissionDenied;
    case v1::ERROR_CODE_ALREADY_JOINED:
      return absl::StatusCode::kAlreadyExists;
    case v1::ERROR_CODE_TOO_MANY_ROOMS:
    case v1::ERROR_CODE_RATE_LIMITED:
      return absl::StatusCode::kResourceExhausted;
    case v1::ERROR_CODE_UNAVAILABLE:
      return absl::StatusCode::kUnavailable;
    case v1::ERROR_CODE_UNSUPPORTED:
      return absl::StatusCode::kUnimplemented;
    case v1::ERROR_CODE_INTERNAL:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status ServerErrorToStatus(const Error& error) {
  std::string message = error.message();
  if (message.empty()) {
    message = v1::ErrorCode_IsValid(error.code())
                  ? v1::ErrorCode_Name(error.code())
                  : absl::StrCat("error code ", error.code());
  }
  absl::Status status(StatusCodeFor(error.code()), message);
  status.SetPayload(kServerErrorPayloadUrl,
                    absl::Cord(error.SerializeAsString()));
  return status;
}

std::optional<Error> ServerErrorOf(const absl::Status& status) {
  auto payload = status.GetPayload(kServerErrorPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  Error error;
  if (!error.ParseFromString(std::string(*payload))) return std::nullopt;
  return error;
}

ErrorCode ErrorCodeOf(const absl::Status& status) {
  std::optional<Error> error = ServerErrorOf(status);
  return error.has_value() ? error->code() : v1::ERROR_CODE_UNSPECIFIED;
}

absl::Status CloseToStatus(uint16_t code, absl::string_view reason) {
  std::string message =
      code == kCloseCodeAbnormal
          ? std::string("connection lost")
          : absl::StrCat("connection closed by the server with code ", code);
  if (!reason.empty()) absl::StrAppend(&message, ": ", reason);
  switch (code) {
    case v1::CLOSE_CODE_UNAUTHENTICATED:
    case v1::CLOSE_CODE_TOKEN_EXPIRED:
      return absl::UnauthenticatedError(message);
    case v1::CLOSE_CODE_KICKED:
      return absl::PermissionDeniedError(message);
    case v1::CLOSE_CODE_PROTOCOL_ERROR:
    case v1::CLOSE_CODE_UNSUPPORTED_DATA:
    case v1::CLOSE_CODE_INVALID_PAYLOAD:
    case v1::CLOSE_CODE_POLICY_VIOLATION:
    case v1::CLOSE_CODE_MESSAGE_TOO_BIG:
    case v1::CLOSE_CODE_BAD_FRAMES:
    case v1::CLOSE_CODE_REPLACED:
      return absl::FailedPreconditionError(message);
    case v1::CLOSE_CODE_TOO_MANY_CONNECTIONS:
    case v1::CLOSE_CODE_RATE_LIMITED:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

bool ShouldReconnectAfterClose(uint16_t code) {
  switch (code) {
    case v1::CLOSE_CODE_NORMAL:
    case v1::CLOSE_CODE_PROTOCOL_ERROR:
    case v1::CLOSE_CODE_UNSUPPORTED_DATA:
    case v1::CLOSE_CODE_INVALID_PAYLOAD:
    case v1::CLOSE_CODE_POLICY_VIOLATION:
    case v1::CLOSE_CODE_MESSAGE_TOO_BIG:
    case v1::CLOSE_CODE_UNAUTHENTICATED:
    case v1::CLOSE_CODE_TOKEN_EXPIRED:
    case v1::CLOSE_CODE_KICKED:
    case v1::CLOSE_CODE_REPLACED:
    case v1::CLOSE_CODE_BAD_FRAMES:
      return false;
    default:
      return true;
  }
}

}  // namespace client
}  // namespace switchboard
