#include "tests/testing/nats_server.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "tests/testing/http_get.h"
#include "tests/testing/ports.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace testing {
namespace {

constexpr absl::Duration kReadyTimeout = absl::Seconds(20);
constexpr absl::Duration kStopGrace = absl::Seconds(10);
constexpr absl::Duration kProbeTimeout = absl::Seconds(1);
constexpr absl::Duration kProbeInterval = absl::Milliseconds(20);
constexpr int kStartAttempts = 3;
constexpr size_t kLogTailBytes = 4000;

absl::StatusOr<std::string> FindNatsServer() {
  const char* configured = getenv("SB_NATS_SERVER");
  if (configured != nullptr && *configured != '\0') return std::string(configured);
  // Debian installs it in /usr/sbin, which is not on a Bazel test's PATH.
  for (const char* candidate :
       {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}) {
    if (access(candidate, X_OK) == 0) return std::string(candidate);
  }
  return absl::NotFoundError(
      "nats-server not found in /usr/sbin, /usr/bin or /usr/local/bin "
      "(apt-get install nats-server, or set SB_NATS_SERVER)");
}

// A NATS config string literal.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Describe(const absl::StatusOr<HttpResponse>& answer) {
  if (!answer.ok()) return answer.status().ToString();
  return absl::StrCat(answer->status, " ", answer->body);
}

// Polls `path` on the monitor port until it answers 200, the process exits
// or `timeout` passes.
absl::Status WaitForEndpoint(Subprocess& process, int monitor_port, absl::string_view path,
                             absl::Duration timeout) {
  bool exited = false;
  std::string last = "no answer yet";
  const bool done = WaitFor(
      [&] {
        if (!process.Running()) {
          exited = true;
          return true;
        }
        absl::StatusOr<HttpResponse> answer = HttpGet(monitor_port, path, kProbeTimeout);
        last = Describe(answer);
        return answer.ok() && answer->status == 200;
      },
      timeout, kProbeInterval);
  if (exited) {
    absl::StatusOr<int> code = process.Wait(absl::ZeroDuration());
    return absl::UnavailableError(absl::StrCat(
        "nats-server exited with code ", code.ok() ? *code : -1, " before ", path, " was OK"));
  }
  if (!done) {
    return absl::DeadlineExceededError(absl::StrCat(
        path, " not OK after ", absl::FormatDuration(timeout), "; last answer: ", last));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start(NatsServerOptions options) {
  const bool clustered = !options.cluster_name.empty();
  if (options.jetstream && clustered && options.server_name.empty()) {
    return absl::InvalidArgumentError("a JetStream cluster member needs a server_name");
  }
  absl::Status status;
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    NatsServerOptions resolved = options;
    absl::StatusOr<int> monitor_port = PickFreePort();
    if (!monitor_port.ok()) return monitor_port.status();
    if (resolved.port == 0) {
      absl::StatusOr<int> port = PickFreePort();
      if (!port.ok()) return port.status();
      resolved.port = *port;
    }
    if (clustered && resolved.cluster_port == 0) {
      absl::StatusOr<int> port = PickFreePort();
      if (!port.ok()) return port.status();
      resolved.cluster_port = *port;
    }
    auto dir = std::make_unique<TempDir>("nats");
    if (resolved.store_dir.empty()) resolved.store_dir = dir->path() + "/store";

    std::unique_ptr<NatsServer> server(
        new NatsServer(std::move(resolved), *monitor_port, std::move(dir)));
    server->config_path_ = server->dir_->path() + "/nats.conf";
    server->log_path_ = server->dir_->path() + "/nats.log";
    if (status = server->WriteConfig(); !status.ok()) return status;
    status = server->Launch();
    if (status.ok()) return server;
    // Another process may have taken a port between PickFreePort and bind.
    if (!absl::StrContains(server->Log(), "address already in use")) break;
    SB_LOG_WARN("nats-server start attempt {} hit a taken port; retrying", attempt);
  }
  return status;
}

NatsServer::~NatsServer() { Stop().IgnoreError(); }

std::string NatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port()); }

absl::Status NatsServer::WriteConfig() {
  std::string config =
      absl::StrCat("# Written by switchboard::testing::NatsServer.\n",
                   "listen: ", Quote(absl::StrCat("127.0.0.1:", options_.port)), "\n",
                   "http: ", Quote(absl::StrCat("127.0.0.1:", monitor_port_)), "\n");
  if (!options_.server_name.empty()) {
    absl::StrAppend(&config, "server_name: ", Quote(options_.server_name), "\n");
  }
  if (options_.jetstream) {
    absl::StrAppend(&config, "jetstream {\n  store_dir: ", Quote(options_.store_dir), "\n}\n");
  }
  if (!options_.cluster_name.empty()) {
    std::vector<std::string> routes;
    for (const std::string& route : options_.routes) routes.push_back(Quote(route));
    absl::StrAppend(&config, "cluster {\n  name: ", Quote(options_.cluster_name), "\n",
                    "  listen: ", Quote(absl::StrCat("127.0.0.1:", options_.cluster_port)),
                    "\n  routes: [", absl::StrJoin(routes, ", "), "]\n}\n");
  }
  std::ofstream out(config_path_, std::ios::trunc);
  out << config;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", config_path_));
  return absl::OkStatus();
}

absl::Status NatsServer::Launch() {
  absl::StatusOr<std::string> binary = FindNatsServer();
  if (!binary.ok()) return binary.status();
  SubprocessOptions subprocess_options;
  subprocess_options.log_path = log_path_;
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({*binary, "-c", config_path_}, std::move(subprocess_options));
  if (!process.ok()) return process.status();
  process_ = *std::move(process);

  // A lone cluster member never reports full health; see the header.
  const bool clustered = !options_.cluster_name.empty();
  const char* path = options_.jetstream && clustered ? "/healthz?js-enabled-only=true" : "/healthz";
  absl::Status ready = WaitForEndpoint(*process_, monitor_port_, path, kReadyTimeout);
  if (!ready.ok()) {
    process_.reset();  // SIGKILLs it if it is still starting.
    return absl::Status(ready.code(),
                        absl::StrCat("nats-server ", server_name(), " on ", url(), ": ",
                                     ready.message(), "\nlog tail:\n", LogTail()));
  }
  SB_LOG_INFO("nats-server {} ready on {} (monitor port {}, pid {})", server_name(), url(),
              monitor_port_, process_->pid());
  return absl::OkStatus();
}

absl::Status NatsServer::Stop() {
  if (!Running()) return absl::OkStatus();
  absl::StatusOr<int> code = process_->Stop(kStopGrace);
  if (!code.ok()) return code.status();
  if (*code == 128 + SIGKILL) {
    return absl::DeadlineExceededError(absl::StrCat("nats-server ", url(), " ignored SIGTERM for ",
                                                    absl::FormatDuration(kStopGrace),
                                                    "; killed\nlog tail:\n", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status NatsServer::Kill() {
  if (!Running()) return absl::OkStatus();
  // FailedPrecondition only if it died on its own meanwhile; Wait covers it.
  process_->Signal(SIGKILL).IgnoreError();
  return process_->Wait(kStopGrace).status();
}

absl::Status NatsServer::Restart() {
  if (absl::Status stopped = Stop(); !stopped.ok()) {
    SB_LOG_WARN("restarting nats-server {}: {}", url(), stopped.ToString());
  }
  process_.reset();
  return Launch();
}

bool NatsServer::Running() { return process_ != nullptr && process_->Running(); }

absl::Status NatsServer::WaitHealthy(absl::Duration timeout) {
  if (!Running()) return absl::FailedPreconditionError(absl::StrCat(url(), " is not running"));
  absl::Status healthy = WaitForEndpoint(*process_, monitor_port_, "/healthz", timeout);
  if (healthy.ok()) return healthy;
  return absl::Status(healthy.code(), absl::StrCat("nats-server ", server_name(), " on ", url(),
                                                   ": ", healthy.message()));
}

std::string NatsServer::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string NatsServer::LogTail() const {
  std::string log = Log();
  if (log.size() <= kLogTailBytes) return log;
  size_t start = log.size() - kLogTailBytes;
  const size_t newline = log.find('\n', start);
  if (newline != std::string::npos) start = newline + 1;
  return log.substr(start);
}

}  // namespace testing
}  // namespace switchboard
