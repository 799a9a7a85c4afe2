#ifndef SWITCHBOARD_CONTROL_CONTROL_OPTIONS_H_
#define SWITCHBOARD_CONTROL_CONTROL_OPTIONS_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "fanout/stream_options.h"

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

  // One API key per line ('#' comments). Empty: no authentication (dev only).
  std::string api_keys_file;
  // PEM files; with cert and key the gRPC port speaks TLS only, and with a
  // client CA it also requires and verifies client certificates (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // How often the three files are read again: renewed certificates (and CA
  // bundles) are served to new connections without a restart. At least 1 s.
  absl::Duration tls_refresh_interval = absl::Seconds(60);

  // Largest publish payload (serialized Payload), in bytes.
  size_t max_payload_bytes = 32 * 1024;
  // How long a persisted publish waits for JetStream's ack.
  absl::Duration publish_timeout = absl::Seconds(5);
  // Longest wait for gateway replies to a command (RPC deadlines may cut it).
  absl::Duration command_timeout = absl::Seconds(2);
  // Threads for the blocking part of RPCs, and how many calls may queue for
  // them before new ones get RESOURCE_EXHAUSTED.
  int rpc_threads = 16;
  size_t max_queued_rpcs = 1024;
  // Events a Watch may have queued before it is ended as too slow.
  size_t watch_max_queued_events = 10000;

  // The persisted-rooms stream, created at start if missing (retried in the
  // background while NATS is unreachable). Must match the gateways' settings.
  fanout::StreamOptions stream;
  // Update an existing stream whose settings differ instead of refusing to run.
  bool stream_update = false;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_CONTROL_OPTIONS_H_
