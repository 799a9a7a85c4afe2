#ifndef SWITCHBOARD_CONTROL_CONTROL_SERVER_H_
#define SWITCHBOARD_CONTROL_CONTROL_SERVER_H_

#include <atomic>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "common/admin_server.h"
#include "common/nats_connection.h"
#include "common/process_metrics.h"
#include "control/control_options.h"
#include "prometheus/registry.h"

namespace switchboard::control {

// One control-plane process: the gRPC server (with grpc.health.v1 and server
// reflection), its NATS connection and its admin port. Stateless: any number
// run side by side. Start/Stop are called from main's thread.
class ControlServer {
 public:
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(ControlOptions options);
  ~ControlServer();

  // Fails health and readiness, finishes in-flight calls (up to `grace`), then
  // closes NATS and the admin port. Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(5));

  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_->port(); }

 private:
  explicit ControlServer(ControlOptions options);
  absl::Status Readiness() const;

  ControlOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ProcessMetrics> process_metrics_;
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<AdminServer> admin_;
  int grpc_port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_CONTROL_SERVER_H_
