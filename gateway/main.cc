// switchboard-gateway: the WebSocket edge. Flags are documented in
// docs/operations.md; everything else lives in //gateway:gateway.
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
#include "gateway/gateway.h"

ABSL_FLAG(std::string, gateway_id, "", "Unique id of this gateway (default: hostname-random)");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:9090",
          "Admin HTTP address for /metrics, /healthz and /readyz");
ABSL_FLAG(std::string, nats_url, "nats://127.0.0.1:4222", "NATS server URLs, comma-separated");
ABSL_FLAG(std::string, subject_prefix, "sb", "NATS subject prefix of this Switchboard cluster");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "On SIGTERM, exit when clients are gone or after this long");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace {

std::string DefaultGatewayId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen gen;
  return absl::StrCat(host, "-", absl::Hex(absl::Uniform<uint32_t>(gen), absl::kZeroPad8));
}

}  // namespace

int main(int argc, char** argv) {
  switchboard::BlockTerminationSignals();
  absl::SetProgramUsageMessage("Switchboard WebSocket gateway. See docs/operations.md.");
  absl::ParseCommandLine(argc, argv);
  switchboard::InitLogging("gateway", absl::GetFlag(FLAGS_log_level));

  switchboard::gateway::GatewayOptions options;
  options.gateway_id = absl::GetFlag(FLAGS_gateway_id);
  if (options.gateway_id.empty()) options.gateway_id = DefaultGatewayId();
  auto admin = switchboard::ParseHostPort(absl::GetFlag(FLAGS_admin_listen));
  if (!admin.ok()) {
    SB_LOG_ERROR("--admin_listen: {}", admin.status().ToString());
    return EXIT_FAILURE;
  }
  options.admin_address = admin->host;
  options.admin_port = admin->port;
  options.nats.urls = absl::GetFlag(FLAGS_nats_url);
  options.subject_prefix = absl::GetFlag(FLAGS_subject_prefix);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);

  auto gateway = switchboard::gateway::Gateway::Start(std::move(options));
  if (!gateway.ok()) {
    SB_LOG_ERROR("gateway failed to start: {}", gateway.status().ToString());
    return EXIT_FAILURE;
  }
  int sig = switchboard::WaitForTerminationSignal();
  SB_LOG_INFO("signal {}: shutting down", sig);
  (*gateway)->Drain();
  (*gateway)->Stop();
  SB_LOG_INFO("gateway stopped");
  return EXIT_SUCCESS;
}
