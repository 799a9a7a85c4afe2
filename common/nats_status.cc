#include "common/nats_status.h"

#include "absl/strings/str_cat.h"

namespace switchboard {

absl::Status FromNatsStatus(natsStatus status, absl::string_view what) {
  if (status == NATS_OK) return absl::OkStatus();
  const char* last = nats_GetLastError(nullptr);
  std::string message = absl::StrCat(what, ": ", natsStatus_GetText(status));
  if (last != nullptr && *last != '\0' && absl::string_view(last) != natsStatus_GetText(status)) {
    absl::StrAppend(&message, " (", last, ")");
  }
  switch (status) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_NOT_YET_CONNECTED:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
    case NATS_NO_RESPONDERS:
    case NATS_DRAINING:
    // With no reconnect buffer (NatsConnection's choice), this is what a
    // publish or request returns while the connection is down.
    case NATS_INSUFFICIENT_BUFFER:
      return absl::UnavailableError(message);
    case NATS_NOT_FOUND:
      return absl::NotFoundError(message);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace switchboard
