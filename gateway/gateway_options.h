#ifndef SWITCHBOARD_GATEWAY_GATEWAY_OPTIONS_H_
#define SWITCHBOARD_GATEWAY_GATEWAY_OPTIONS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "fanout/stream_options.h"
#include "gateway/auth/token_verifier.h"

namespace switchboard::gateway {

// Limits applied to every connection; each has a flag in main.cc and an
// error or close code in docs/protocol.md.
struct ConnectionLimitOptions {
  // Largest WebSocket message after reassembly (close 1009 beyond it).
  size_t max_message_bytes = 64 * 1024;
  // Largest publish payload (error PAYLOAD_TOO_LARGE beyond it).
  size_t max_payload_bytes = 32 * 1024;
  // Rooms one connection may be in at once (error TOO_MANY_ROOMS).
  int max_rooms = 100;
  // Publishes (and ephemeral sends) per second per connection, and burst.
  double publish_rate = 50;
  int publish_burst = 100;
  // After this many rate-limited frames in a row, close 4010.
  int max_rate_limited_in_a_row = 50;
  // Undecodable frames a connection may send: a budget of `max_bad_frames`
  // that refills by `bad_frames_per_minute`; the frame past it closes 4011.
  // Good frames in between do not refill it: interleaving pings must not
  // keep a flood of garbage going.
  int max_bad_frames = 10;
  double bad_frames_per_minute = 10;
  // Connections in total and per remote IP (close 4009 beyond them).
  int max_connections = 50000;
  int max_connections_per_ip = 20000;
  // Send queue: above `lossy_queue_bytes` lossy frames (typing, presence,
  // ephemeral) are dropped; above `max_queue_bytes` a lossless frame closes
  // the connection with 4005 (slow consumer) and the client resumes.
  size_t lossy_queue_bytes = 64 * 1024;
  size_t max_queue_bytes = 1024 * 1024;
  // The TLS handshake (with TLS on) and the HTTP upgrade must complete within
  // this, counted from the accept (then the socket is closed).
  absl::Duration handshake_timeout = absl::Seconds(5);
  // The Connect frame must arrive within this after the upgrade (close 4003).
  absl::Duration connect_timeout = absl::Seconds(10);
  // WebSocket pings every ping_interval; no frame for ping_timeout: close 4004.
  absl::Duration ping_interval = absl::Seconds(10);
  absl::Duration ping_timeout = absl::Seconds(30);
};

// TLS on the WebSocket port (wss://): on when a certificate chain and key are
// given. The admin port stays plain HTTP (private network only).
struct TlsOptions {
  // PEM files: the certificate chain (leaf first, then intermediates) and its
  // unencrypted private key.
  std::string cert_file;
  std::string key_file;
  // Lowest protocol version accepted: "1.2" or "1.3".
  std::string min_version = "1.2";

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Everything a gateway is configured with; main.cc fills it from flags
// (docs/operations.md lists them).
struct GatewayOptions {
  // Unique id of this process in the cluster (default: host name + random).
  std::string gateway_id;
  // WebSocket (and demo page) listener.
  std::string listen_address = "127.0.0.1";
  int listen_port = 8080;
  // Worker threads, each with its own event loop and connections.
  int workers = 1;
  // Static files served on GET for non-upgrade requests (the demo page); empty
  // serves nothing.
  std::string static_dir;
  // Origins allowed to open WebSockets ("https://app.example.com", or
  // "https://*.example.com"). Empty: only same-origin pages (Origin host equal
  // to the Host header) and non-browser clients (no Origin header).
  std::vector<std::string> allowed_origins;
  // Admin HTTP endpoint: /metrics, /healthz, /readyz.
  std::string admin_address = "127.0.0.1";
  int admin_port = 9090;
  NatsConnectionOptions nats;
  // Subject prefix shared by every process of one Switchboard cluster.
  std::string subject_prefix = "sb";
  fanout::StreamOptions stream;
  bool stream_update = false;
  // How long to wait for JetStream to ack a publish.
  absl::Duration publish_timeout = absl::Seconds(5);
  auth::TokenVerifierConfig auth;
  ConnectionLimitOptions limits;
  TlsOptions tls;
  // On SIGTERM: closes are spread over drain_window (clients get a jittered
  // reconnect hint), and the process exits at drain_timeout regardless.
  absl::Duration drain_window = absl::Seconds(10);
  absl::Duration drain_timeout = absl::Seconds(20);
  // Heartbeats on the bus. Other gateways and the control plane consider this
  // gateway dead after 3 missed intervals (its presence entries vanish then).
  absl::Duration heartbeat_interval = absl::Seconds(2);
  // Presence: a connection's LEAVE event is published this long after it
  // left (it still counts as present meanwhile), so that a reconnecting tab
  // joins before its old connection leaves and members see no flap. 0: at once.
  absl::Duration presence_leave_delay = absl::ZeroDuration();
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_GATEWAY_OPTIONS_H_
