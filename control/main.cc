// switchboard-control: the gRPC control plane. Flags are documented in
// docs/operations.md; everything else lives in //control:control_server.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/logging.h"
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

int main(int argc, char** argv) {
  switchboard::BlockTerminationSignals();
  absl::SetProgramUsageMessage("Switchboard control plane (gRPC). See docs/operations.md.");
  absl::ParseCommandLine(argc, argv);
  switchboard::InitLogging("control", absl::GetFlag(FLAGS_log_level));

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

  auto server = switchboard::control::ControlServer::Start(std::move(options));
  if (!server.ok()) {
    SB_LOG_ERROR("control failed to start: {}", server.status().ToString());
    return EXIT_FAILURE;
  }
  int sig = switchboard::WaitForTerminationSignal();
  SB_LOG_INFO("signal {}: shutting down", sig);
  (*server)->Stop(absl::GetFlag(FLAGS_shutdown_grace));
  SB_LOG_INFO("control stopped");
  return EXIT_SUCCESS;
}
