#ifndef SWITCHBOARD_GATEWAY_GATEWAY_H_
#define SWITCHBOARD_GATEWAY_GATEWAY_H_

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "common/admin_server.h"
#include "common/nats_connection.h"
#include "common/process_metrics.h"
#include "gateway/gateway_options.h"
#include "prometheus/registry.h"

namespace switchboard::gateway {

// One gateway process: its NATS connection, admin port and (as they land) the
// WebSocket listener and workers. Start() returns once everything listens;
// Drain() then Stop() shut it down. Start/Drain/Stop are called from main's
// thread only; readiness is read by the admin thread.
class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  // Fails readiness at once, then waits until clients are gone or the drain
  // timeout passes.
  void Drain();
  // Closes everything; idempotent.
  void Stop();

  int admin_port() const { return admin_->port(); }
  const GatewayOptions& options() const { return options_; }

 private:
  explicit Gateway(GatewayOptions options);
  absl::Status Readiness() const;

  GatewayOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ProcessMetrics> process_metrics_;
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<AdminServer> admin_;
  std::atomic<bool> draining_{false};
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_GATEWAY_H_
