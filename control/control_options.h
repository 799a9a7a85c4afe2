#ifndef SWITCHBOARD_CONTROL_CONTROL_OPTIONS_H_
#define SWITCHBOARD_CONTROL_CONTROL_OPTIONS_H_

#include <string>

#include "common/nats_connection.h"

namespace switchboard::control {

// Configuration of one control-plane process; main.cc fills it from flags.
struct ControlOptions {
  // Unique id of this process (default: host name + random).
  std::string control_id;
  // gRPC endpoint backends call ("127.0.0.1:50051"; port 0 picks one).
  std::string grpc_address = "127.0.0.1:50051";
  // Admin HTTP endpoint: /metrics, /healthz, /readyz.
  std::string admin_address = "127.0.0.1";
  int admin_port = 9091;
  NatsConnectionOptions nats;
  std::string subject_prefix = "sb";
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_CONTROL_OPTIONS_H_
