#ifndef SWITCHBOARD_COMMON_NATS_STATUS_H_
#define SWITCHBOARD_COMMON_NATS_STATUS_H_

#include <nats/nats.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace switchboard {

// The one adapter from NATS.c's natsStatus to absl::Status. `what` names the
// operation ("publish to sb.pub.lobby"); NATS.c's thread-local last error text
// is appended. Connection problems map to kUnavailable (retry), timeouts to
// kDeadlineExceeded, NATS_NOT_FOUND to kNotFound, bad arguments to
// kInvalidArgument; anything else is kInternal.
absl::Status FromNatsStatus(natsStatus status, absl::string_view what);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_NATS_STATUS_H_
