// switchboard-control: the gRPC control plane. Flags are documented in
// docs/operations.md; everything else lives in //control:control_server.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/protobuf_logs.h"
#include "common/signals.h"
#include "control/control_server.h"

ABSL_FLAG(std::string, control_id, "", "Unique id of this process (default: hostname-random)");
ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051", "gRPC address for backends");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:9091",
          "Admin HTTP address for /metrics, /healthz and /readyz");
ABSL_FLAG(std::string, nats_url, "nats://127.0.0.1:4222", "NATS server URLs, comma-separated");
ABSL_FLAG(std::string, subject_prefix, "sb", "NATS subject prefix of this Switchboard cluster");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGTERM, let in-flight calls finish for this long");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

ABSL_FLAG(std::string, api_keys_file, "",
          "File with one API key per line (# comments); callers send "
          "`authorization: Bearer <key>`. Empty: no authentication (development only)");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain: serve gRPC over TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: require client certificates signed by it (mTLS)");
ABSL_FLAG(absl::Duration, tls_refresh_interval, absl::Seconds(60),
          "How often the TLS files are read again (renewed certificates, no restart)");
ABSL_FLAG(int64_t, max_payload_bytes, 32 * 1024,
          "Largest publish payload, in bytes (the gateway's default too)");
ABSL_FLAG(absl::Duration, publish_timeout, absl::Seconds(5),
          "How long a persisted publish waits for JetStream's ack");
ABSL_FLAG(absl::Duration, command_timeout, absl::Seconds(2),
          "Longest wait for gateway replies (kick, presence, info, ...)");
ABSL_FLAG(int, rpc_threads, 16, "Threads for the blocking part of RPCs");

// The persisted-rooms stream; gateways must be given the same values.
ABSL_FLAG(int64_t, history_per_room, 1000, "Messages kept per room (resume window)");
ABSL_FLAG(absl::Duration, history_ttl, absl::Hours(24),
          "Age after which stored messages are dropped (0: never)");
ABSL_FLAG(absl::Duration, dedupe_window, absl::Minutes(2),
          "Window in which a repeated message id is a duplicate");
ABSL_FLAG(std::string, storage, "file", "Stream storage: file or memory");
ABSL_FLAG(int, replicas, 1, "Stream replicas in a JetStream cluster (1 or 3)");
ABSL_FLAG(bool, stream_update, false,
          "Update an existing stream whose settings differ instead of refusing to start");

int main(int argc, char** argv) {
  switchboard::BlockProcessSignals();
  absl::SetProgramUsageMessage("Switchboard control plane (gRPC). See docs/operations.md.");
  absl::ParseCommandLine(argc, argv);
  switchboard::InitLogging("control", absl::GetFlag(FLAGS_log_level));
  switchboard::RouteProtobufLogs();

  switchboard::control::ControlOptions options;
  options.control_id = absl::GetFlag(FLAGS_control_id);
  if (options.control_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    absl::BitGen gen;
    options.control_id =
        absl::StrCat(host, "-", absl::Hex(absl::Uniform<uint32_t>(gen), absl::kZeroPad8));
  }
  options.grpc_address = absl::GetFlag(FLAGS_grpc_listen);
  auto admin = switchboard::ParseHostPort(absl::GetFlag(FLAGS_admin_listen));
  if (!admin.ok()) {
    SB_LOG_ERROR("--admin_listen: {}", admin.status().ToString());
    return EXIT_FAILURE;
  }
  options.admin_address = admin->host;
  options.admin_port = admin->port;
  options.nats.urls = absl::GetFlag(FLAGS_nats_url);
  options.subject_prefix = absl::GetFlag(FLAGS_subject_prefix);
  options.api_keys_file = absl::GetFlag(FLAGS_api_keys_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.tls_refresh_interval = absl::GetFlag(FLAGS_tls_refresh_interval);
  if (absl::GetFlag(FLAGS_max_payload_bytes) <= 0) {
    SB_LOG_ERROR("--max_payload_bytes must be positive");
    return EXIT_FAILURE;
  }
  options.max_payload_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_payload_bytes));
  options.publish_timeout = absl::GetFlag(FLAGS_publish_timeout);
  options.command_timeout = absl::GetFlag(FLAGS_command_timeout);
  options.rpc_threads = absl::GetFlag(FLAGS_rpc_threads);
  options.stream.history_per_room = absl::GetFlag(FLAGS_history_per_room);
  options.stream.history_ttl = absl::GetFlag(FLAGS_history_ttl);
  options.stream.dedupe_window = absl::GetFlag(FLAGS_dedupe_window);
  const std::string storage = absl::GetFlag(FLAGS_storage);
  if (storage != "file" && storage != "memory") {
    SB_LOG_ERROR("--storage must be file or memory, not {}", storage);
    return EXIT_FAILURE;
  }
  options.stream.file_storage = storage == "file";
  options.stream.replicas = absl::GetFlag(FLAGS_replicas);
  options.stream_update = absl::GetFlag(FLAGS_stream_update);

  auto server = switchboard::control::ControlServer::Start(std::move(options));
  if (!server.ok()) {
    SB_LOG_ERROR("control failed to start: {}", server.status().ToString());
    return EXIT_FAILURE;
  }
  int sig = switchboard::WaitForProcessSignal();
  while (sig == SIGHUP) {
    // TLS files are watched (--tls_refresh_interval); the rest is read at start.
    SB_LOG_INFO("SIGHUP ignored: TLS files are re-read every --tls_refresh_interval; "
                "restart the control plane to change anything else");
    sig = switchboard::WaitForProcessSignal();
  }
  SB_LOG_INFO("signal {}: shutting down", sig);
  (*server)->Stop(absl::GetFlag(FLAGS_shutdown_grace));
  SB_LOG_INFO("control stopped");
  return EXIT_SUCCESS;
}
