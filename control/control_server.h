#ifndef SWITCHBOARD_CONTROL_CONTROL_SERVER_H_
#define SWITCHBOARD_CONTROL_CONTROL_SERVER_H_

#include <atomic>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/admin_server.h"
#include "common/nats_connection.h"
#include "common/process_metrics.h"
#include "common/subjects.h"
#include "control/ban_writer.h"
#include "control/api_key_auth.h"
#include "fanout/command_fanout.h"
#include "control/control_options.h"
#include "control/tls_file_mirror.h"
#include "control/control_service.h"
#include "control/gateway_commands.h"
#include "fanout/gateway_directory.h"
#include "control/history_query.h"
#include "control/room_publisher.h"
#include "control/rpc_metrics.h"
#include "control/watch_registry.h"
#include "common/worker_pool.h"
#include "fanout/bus_publisher.h"
#include "fanout/history_reader.h"
#include "prometheus/registry.h"

namespace switchboard::control {

// One control-plane process: the gRPC ControlService (with grpc.health.v1 and
// server reflection, optional TLS/mTLS and API keys), its NATS connection, the
// gateway directory, stream provisioning and the admin port. Stateless: any
// number run side by side. Start/Stop are called from main's thread.
class ControlServer {
 public:
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(ControlOptions options);
  ~ControlServer();

  // Fails health and readiness, finishes in-flight calls (up to `grace`;
  // Watch streams are cancelled then), then closes NATS and the admin port.
  // Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(5));

  int grpc_port() const { return grpc_port_; }
  int admin_port() const { return admin_->port(); }
  // The live gateways as this process sees them (diagnostics and tests).
  const fanout::GatewayDirectory& directory() const { return *directory_; }
  // True once the persisted-rooms stream is known to exist as configured.
  bool stream_ready() const { return stream_ready_.load(); }
  // The since_offset Watch streams and their tail checks after a NATS
  // reconnect (diagnostics and tests).
  const WatchRegistry& watches() const { return watches_; }

 private:
  explicit ControlServer(ControlOptions options);
  absl::Status Readiness() const;
  // Insecure, or TLS from checked copies of the files that gRPC watches
  // (starts tls_files_).
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials();
  // Provisions the stream; retries in the background (stream_thread_) until
  // it succeeds or the server stops. Returns an error only for a stream that
  // exists with different settings, found at start.
  absl::Status ProvisionStream();
  void ProvisionLoop();

  ControlOptions options_;
  Subjects subjects_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ProcessMetrics> process_metrics_;
  // Outlives the gRPC server, whose certificate provider reads the copies.
  std::unique_ptr<TlsFileMirror> tls_files_;
  // Before nats_: a watch may be destroyed as NATS completes its
  // subscriptions, and unregisters itself then.
  WatchRegistry watches_;
  // Declaration order is teardown order reversed: everything below NATS uses it.
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<fanout::BusPublisher> bus_;
  std::unique_ptr<fanout::HistoryReader> history_reader_;
  std::unique_ptr<fanout::GatewayDirectory> directory_;
  std::unique_ptr<fanout::CommandFanout> fanout_;
  std::unique_ptr<BanWriter> bans_;
  std::unique_ptr<GatewayCommands> commands_;
  std::unique_ptr<RoomPublisher> publisher_;
  std::unique_ptr<HistoryQuery> history_query_;
  std::unique_ptr<ApiKeyAuth> auth_;
  std::unique_ptr<RpcMetrics> rpc_metrics_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<ControlService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<AdminServer> admin_;
  int grpc_port_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> stream_ready_{false};

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread stream_thread_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_CONTROL_SERVER_H_
