#ifndef SWITCHBOARD_COMMON_HOST_PORT_H_
#define SWITCHBOARD_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard {

struct HostPort {
  std::string host;
  int port = 0;
};

// Parses "host:port", "[v6]:port" or ":port" (host defaults to 0.0.0.0).
// Port 0 is allowed (pick a free one). InvalidArgument otherwise.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_HOST_PORT_H_
