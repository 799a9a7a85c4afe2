// switchboard-gateway: the WebSocket edge. Flags are documented in
// docs/operations.md; everything else lives in //gateway:gateway.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/protobuf_logs.h"
#include "common/signals.h"
#include "gateway/auth/jwks.h"
#include "gateway/auth/key_config.h"
#include "gateway/gateway.h"

ABSL_FLAG(std::string, gateway_id, "", "Unique id of this gateway (default: hostname-random)");
ABSL_FLAG(std::string, listen, "127.0.0.1:8080", "WebSocket address (ws://HOST:PORT/ws)");
ABSL_FLAG(int, workers, 1, "Event-loop threads (one per core is typical)");
ABSL_FLAG(std::string, static_dir, "", "Serve these static files on GET / (the demo page)");
ABSL_FLAG(std::vector<std::string>, allowed_origins, {},
          "Origins allowed to connect (comma-separated; *.example.com wildcards). "
          "Empty: same-origin pages and non-browser clients only");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain (leaf first) for wss:// on --listen; with --tls_key_file");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key (unencrypted) of --tls_cert_file");
ABSL_FLAG(std::string, tls_min_version, "1.2", "Lowest TLS version accepted: 1.2 or 1.3");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:9090",
          "Admin HTTP address for /metrics, /healthz and /readyz");
ABSL_FLAG(std::string, nats_url, "nats://127.0.0.1:4222", "NATS server URLs, comma-separated");
ABSL_FLAG(bool, nats_send_asap, true,
          "Write each NATS publish at once instead of through NATS.c's flusher thread, which "
          "waits 1 ms for more");
ABSL_FLAG(std::string, subject_prefix, "sb", "NATS subject prefix of this Switchboard cluster");

ABSL_FLAG(std::string, jwt_hs256_key_file, "", "HS256 secret file (at least 32 bytes)");
ABSL_FLAG(std::string, jwt_rs256_public_key_file, "", "RS256 public key (PEM)");
ABSL_FLAG(std::string, jwt_es256_public_key_file, "", "ES256 public key (PEM, P-256)");
ABSL_FLAG(std::string, jwt_jwks_file, "", "JWKS file with RS256/ES256 keys");
ABSL_FLAG(absl::Duration, jwt_leeway, absl::Seconds(5), "Clock skew allowed for exp/nbf");

ABSL_FLAG(int64_t, max_message_bytes, 64 * 1024, "Largest WebSocket message (close 1009)");
ABSL_FLAG(int64_t, max_payload_bytes, 32 * 1024, "Largest publish payload");
ABSL_FLAG(int, max_rooms, 100, "Rooms per connection");
ABSL_FLAG(double, publish_rate, 50, "Publishes per second per connection (token bucket rate)");
ABSL_FLAG(int, publish_burst, 100, "Publish burst per connection");
ABSL_FLAG(int, max_connections, 50000,
          "Connections in total, handshakes in progress included (close 4009 beyond)");
ABSL_FLAG(int, max_connections_per_ip, 20000,
          "Connections per remote IP, handshakes in progress included (close 4009 beyond)");
ABSL_FLAG(int64_t, lossy_queue_bytes, 64 * 1024, "Send-queue size above which lossy frames drop");
ABSL_FLAG(int64_t, max_queue_bytes, 1024 * 1024,
          "Send-queue size at which a lossless frame closes the connection (4005)");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(5), "Deadline for the HTTP upgrade");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(10), "Deadline for the Connect frame");
ABSL_FLAG(absl::Duration, ping_interval, absl::Seconds(10), "WebSocket ping interval");
ABSL_FLAG(absl::Duration, ping_timeout, absl::Seconds(30), "Close silent peers after this");

ABSL_FLAG(int64_t, history_per_room, 1000, "Messages kept per persisted room");
ABSL_FLAG(absl::Duration, history_ttl, absl::Hours(24), "Age after which messages are dropped");
ABSL_FLAG(absl::Duration, dedupe_window, absl::Minutes(2), "Window for duplicate message ids");
ABSL_FLAG(std::string, storage, "file", "JetStream storage: file or memory");
ABSL_FLAG(int, replicas, 1, "JetStream replicas of the rooms stream");
ABSL_FLAG(bool, stream_update, false, "Apply these stream flags to an existing, different stream");
ABSL_FLAG(absl::Duration, publish_timeout, absl::Seconds(5), "Wait for JetStream publish acks");

ABSL_FLAG(absl::Duration, drain_window, absl::Seconds(10),
          "On SIGTERM, spread client closes over this long");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "On SIGTERM, exit when clients are gone or after this long");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(2),
          "Bus heartbeat interval; peers declare this gateway lost after 3 missed ones");
ABSL_FLAG(absl::Duration, presence_leave_delay, absl::ZeroDuration(),
          "Announce a presence LEAVE this long after the connection left (hides reconnect flaps)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace {

using switchboard::gateway::GatewayOptions;
namespace auth = switchboard::gateway::auth;

std::string DefaultGatewayId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen gen;
  return absl::StrCat(host, "-", absl::Hex(absl::Uniform<uint32_t>(gen), absl::kZeroPad8));
}

absl::Status LoadKeys(auth::TokenVerifierConfig& config) {
  if (std::string f = absl::GetFlag(FLAGS_jwt_hs256_key_file); !f.empty()) {
    auto key = auth::LoadHmacSecretFile(f);
    if (!key.ok()) return key.status();
    config.keys.push_back(*key);
  }
  if (std::string f = absl::GetFlag(FLAGS_jwt_rs256_public_key_file); !f.empty()) {
    auto key = auth::LoadPemKeyFile(auth::JwsAlgorithm::kRs256, f);
    if (!key.ok()) return key.status();
    config.keys.push_back(*key);
  }
  if (std::string f = absl::GetFlag(FLAGS_jwt_es256_public_key_file); !f.empty()) {
    auto key = auth::LoadPemKeyFile(auth::JwsAlgorithm::kEs256, f);
    if (!key.ok()) return key.status();
    config.keys.push_back(*key);
  }
  if (std::string f = absl::GetFlag(FLAGS_jwt_jwks_file); !f.empty()) {
    auto keys = auth::LoadJwksFile(f);
    if (!keys.ok()) return keys.status();
    config.keys.insert(config.keys.end(), keys->begin(), keys->end());
  }
  if (config.keys.empty()) {
    return absl::InvalidArgumentError(
        "no JWT key: pass --jwt_hs256_key_file, --jwt_rs256_public_key_file, "
        "--jwt_es256_public_key_file or --jwt_jwks_file");
  }
  config.leeway = absl::GetFlag(FLAGS_jwt_leeway);
  return absl::OkStatus();
}

absl::StatusOr<GatewayOptions> OptionsFromFlags() {
  GatewayOptions o;
  o.gateway_id = absl::GetFlag(FLAGS_gateway_id);
  if (o.gateway_id.empty()) o.gateway_id = DefaultGatewayId();
  auto listen = switchboard::ParseHostPort(absl::GetFlag(FLAGS_listen));
  if (!listen.ok()) return absl::InvalidArgumentError(absl::StrCat("--listen: ", listen.status().message()));
  o.listen_address = listen->host;
  o.listen_port = listen->port;
  auto admin = switchboard::ParseHostPort(absl::GetFlag(FLAGS_admin_listen));
  if (!admin.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--admin_listen: ", admin.status().message()));
  }
  o.admin_address = admin->host;
  o.admin_port = admin->port;
  o.workers = absl::GetFlag(FLAGS_workers);
  o.static_dir = absl::GetFlag(FLAGS_static_dir);
  o.allowed_origins = absl::GetFlag(FLAGS_allowed_origins);
  o.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  o.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  o.tls.min_version = absl::GetFlag(FLAGS_tls_min_version);
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (o.tls.min_version != "1.2" && o.tls.min_version != "1.3") {
    return absl::InvalidArgumentError("--tls_min_version must be 1.2 or 1.3");
  }
  o.nats.urls = absl::GetFlag(FLAGS_nats_url);
  o.nats.send_asap = absl::GetFlag(FLAGS_nats_send_asap);
  o.subject_prefix = absl::GetFlag(FLAGS_subject_prefix);
  if (absl::Status s = LoadKeys(o.auth); !s.ok()) return s;

  auto& l = o.limits;
  l.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  l.max_payload_bytes = absl::GetFlag(FLAGS_max_payload_bytes);
  l.max_rooms = absl::GetFlag(FLAGS_max_rooms);
  l.publish_rate = absl::GetFlag(FLAGS_publish_rate);
  l.publish_burst = absl::GetFlag(FLAGS_publish_burst);
  l.max_connections = absl::GetFlag(FLAGS_max_connections);
  l.max_connections_per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);
  l.lossy_queue_bytes = absl::GetFlag(FLAGS_lossy_queue_bytes);
  l.max_queue_bytes = absl::GetFlag(FLAGS_max_queue_bytes);
  l.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  l.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  l.ping_interval = absl::GetFlag(FLAGS_ping_interval);
  l.ping_timeout = absl::GetFlag(FLAGS_ping_timeout);

  o.stream.history_per_room = absl::GetFlag(FLAGS_history_per_room);
  o.stream.history_ttl = absl::GetFlag(FLAGS_history_ttl);
  o.stream.dedupe_window = absl::GetFlag(FLAGS_dedupe_window);
  const std::string storage = absl::GetFlag(FLAGS_storage);
  if (storage != "file" && storage != "memory") {
    return absl::InvalidArgumentError("--storage must be file or memory");
  }
  o.stream.file_storage = storage == "file";
  o.stream.replicas = absl::GetFlag(FLAGS_replicas);
  o.stream_update = absl::GetFlag(FLAGS_stream_update);
  o.publish_timeout = absl::GetFlag(FLAGS_publish_timeout);
  o.drain_window = absl::GetFlag(FLAGS_drain_window);
  o.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  o.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  o.presence_leave_delay = absl::GetFlag(FLAGS_presence_leave_delay);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  switchboard::BlockProcessSignals();
  absl::SetProgramUsageMessage("Switchboard WebSocket gateway. See docs/operations.md.");
  absl::ParseCommandLine(argc, argv);
  switchboard::InitLogging("gateway", absl::GetFlag(FLAGS_log_level));
  switchboard::RouteProtobufLogs();

  auto options = OptionsFromFlags();
  if (!options.ok()) {
    SB_LOG_ERROR("{}", options.status().message());
    return EXIT_FAILURE;
  }
  auto gateway = switchboard::gateway::Gateway::Start(std::move(*options));
  if (!gateway.ok()) {
    SB_LOG_ERROR("gateway failed to start: {}", gateway.status().ToString());
    return EXIT_FAILURE;
  }
  int sig = switchboard::WaitForProcessSignal();
  while (sig == SIGHUP) {
    // Certificate rotation (cert-manager, ACME) without a restart.
    (*gateway)->ReloadTls().IgnoreError();  // logged and counted; the old one stays
    sig = switchboard::WaitForProcessSignal();
  }
  SB_LOG_INFO("signal {}: draining", sig);
  (*gateway)->Drain();
  (*gateway)->Stop();
  SB_LOG_INFO("gateway stopped");
  return EXIT_SUCCESS;
}
