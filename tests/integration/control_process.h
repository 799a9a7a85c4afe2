#ifndef SWITCHBOARD_TESTS_INTEGRATION_CONTROL_PROCESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_CONTROL_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::testing {

// A real switchboard-control process for integration tests, on free ports,
// without API keys, plus gRPC stubs to reach it. The counterpart of
// GatewayProcess: it can be killed (SIGKILL, as a crash) and started again on
// the same ports.
//
// Not thread-safe as a whole: start, kill and restart from the test's main
// thread (see Subprocess about the parent-death signal). Stubs it hands out
// are gRPC stubs and may be used from any thread.
class ControlProcess {
 public:
  // Starts the control plane against `nats_url` (comma-separated URLs of a
  // cluster work too) with `extra_flags` appended, so they override the
  // defaults (memory storage), and waits until /readyz answers 200 (NATS
  // connected, stream provisioned).
  static absl::StatusOr<std::unique_ptr<ControlProcess>> Start(
      const std::string& nats_url, const std::string& id,
      std::vector<std::string> extra_flags = {});

  // A stub on a channel of its own: a killed process fails its calls with
  // UNAVAILABLE, and a restarted one is reached again by new calls.
  std::unique_ptr<switchboard::control::v1::ControlService::Stub> NewStub() const;

  // A context whose deadline is `timeout` from now.
  static std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(10));

  const std::string& id() const { return id_; }
  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_port_; }
  // "127.0.0.1:<grpc_port>"
  std::string target() const;
  Subprocess& process() { return *process_; }

  // SIGKILL, as a crash would; returns once the process is reaped.
  void Kill();
  // Starts the same control process again on the same ports and waits until
  // ready, as Start does.
  absl::Status Restart();

 private:
  ControlProcess() = default;
  absl::Status Launch();

  std::string nats_url_;
  std::string id_;
  std::vector<std::string> extra_flags_;
  int grpc_port_ = 0;
  int admin_port_ = 0;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_INTEGRATION_CONTROL_PROCESS_H_
