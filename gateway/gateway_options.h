#ifndef SWITCHBOARD_GATEWAY_GATEWAY_OPTIONS_H_
#define SWITCHBOARD_GATEWAY_GATEWAY_OPTIONS_H_

#include <string>

#include "absl/time/time.h"
#include "common/nats_connection.h"

namespace switchboard::gateway {

// Everything a gateway is configured with; main.cc fills it from flags
// (docs/operations.md lists them).
struct GatewayOptions {
  // Unique id of this process in the cluster (default: host name + random).
  std::string gateway_id;
  // Admin HTTP endpoint: /metrics, /healthz, /readyz.
  std::string admin_address = "127.0.0.1";
  int admin_port = 9090;
  // NATS.
  NatsConnectionOptions nats;
  // Subject prefix shared by every process of one Switchboard cluster.
  std::string subject_prefix = "sb";
  // How long SIGTERM drains before the process exits regardless.
  absl::Duration drain_timeout = absl::Seconds(20);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_GATEWAY_OPTIONS_H_
