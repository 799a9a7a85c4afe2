#ifndef SWITCHBOARD_GATEWAY_GATEWAY_H_
#define SWITCHBOARD_GATEWAY_GATEWAY_H_

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/admin_server.h"
#include "common/nats_connection.h"
#include "common/process_metrics.h"
#include "fanout/bus_publisher.h"
#include "fanout/gateway_directory.h"
#include "fanout/history_reader.h"
#include "fanout/hub.h"
#include "gateway/auth/token_verifier.h"
#include "gateway/ban_list.h"
#include "gateway/ban_sync.h"
#include "gateway/command_handler.h"
#include "gateway/connection_limiter.h"
#include "gateway/gateway_context.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_options.h"
#include "gateway/listener.h"
#include "gateway/presence_queries.h"
#include "gateway/session_directory.h"
#include "gateway/worker.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace switchboard::gateway {

// One gateway process: NATS connection, stream provisioning, workers, hub,
// WebSocket listener, control-plane commands and the admin port. Start()
// returns once everything listens; Drain() then Stop() shut it down.
// Start/Drain/Stop are called from main's thread only.
class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  // Fails readiness, stops accepting, tells every client to go away (spread
  // over the drain window), and waits until they are gone or the drain
  // timeout passes.
  void Drain();
  // Closes everything; idempotent.
  void Stop();
  // Loads the WebSocket port's TLS certificate chain and key again from their
  // files (SIGHUP: certificate rotation without a restart). New connections
  // get the new certificate, open ones keep theirs; on an error the old one
  // stays. Logged and counted in switchboard_gateway_tls_reloads_total.
  // FailedPrecondition without TLS.
  absl::Status ReloadTls();

  int port() const { return listener_->port(); }
  int admin_port() const { return admin_->port(); }
  int64_t connections() const { return metrics_->connections(); }

 private:
  explicit Gateway(GatewayOptions options);
  absl::Status Readiness() const;
  // Provisions the stream, retrying in the background while NATS is away.
  void ProvisionStream();
  // Has every worker announce its held presence departures, and waits
  // (briefly) until they did.
  void FlushPresence();

  GatewayOptions options_;
  GatewayContext ctx_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ProcessMetrics> process_metrics_;
  std::unique_ptr<NatsConnection> nats_;
  std::optional<auth::TokenVerifier> verifier_;
  std::unique_ptr<fanout::HistoryReader> history_;
  std::unique_ptr<fanout::BusPublisher> publisher_;
  std::unique_ptr<ConnectionLimiter> limiter_;
  std::unique_ptr<fanout::GatewayDirectory> directory_;
  std::unique_ptr<PresenceQueries> presence_queries_;
  SessionDirectory sessions_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<fanout::Hub> hub_;
  std::unique_ptr<Listener> listener_;
  std::shared_ptr<GatewayMetrics> metrics_;
  // With TLS only: reload results and the served certificate's expiry.
  prometheus::Counter* tls_reloads_ok_ = nullptr;
  prometheus::Counter* tls_reloads_failed_ = nullptr;
  prometheus::Gauge* tls_not_after_ = nullptr;
  std::unique_ptr<CommandHandler> commands_;
  // The cluster's bans: the bucket's cache, and what keeps it so.
  BanList bans_;
  std::unique_ptr<BanSync> ban_sync_;
  // Set on a NATS reconnect: the bans are loaded again.
  std::atomic<bool> reload_bans_{false};
  std::unique_ptr<AdminServer> admin_;
  std::atomic<bool> stream_ready_{false};
  std::atomic<bool> reprovision_{false};
  // Set on a NATS reconnect: the hub checks each room's tail (Hub::CheckTails).
  std::atomic<bool> check_tails_{false};
  absl::Notification stopping_;
  std::thread provisioner_;
  bool stopped_ = false;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_GATEWAY_H_
