#include "control/control_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "fanout/stream_provisioner.h"

namespace switchboard::control {

namespace {

// Retry pace of stream provisioning: quick while NATS is merely unreachable,
// slow while an operator has to fix a conflicting stream.
constexpr absl::Duration kProvisionRetry = absl::Seconds(1);
constexpr absl::Duration kProvisionConflictRetry = absl::Seconds(30);

}  // namespace

ControlServer::ControlServer(ControlOptions options)
    : options_(std::move(options)),
      subjects_(options_.subject_prefix),
      registry_(std::make_shared<prometheus::Registry>()) {}

ControlServer::~ControlServer() { Stop(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(ControlOptions options) {
  std::unique_ptr<ControlServer> self(new ControlServer(std::move(options)));
  const ControlOptions& opts = self->options_;
  self->process_metrics_ = std::make_unique<ProcessMetrics>(*self->registry_, "control", opts.control_id);

  if (opts.api_keys_file.empty()) {
    SB_LOG_WARN("no --api_keys_file: the control API accepts every caller (development only)");
    self->auth_ = std::make_unique<ApiKeyAuth>();
  } else {
    auto auth = ApiKeyAuth::FromFile(opts.api_keys_file);
    if (!auth.ok()) return auth.status();
    self->auth_ = std::move(*auth);
    SB_LOG_INFO("API key authentication on ({} keys)", self->auth_->key_count());
  }
  auto credentials = self->Credentials();
  if (!credentials.ok()) return credentials.status();

  NatsConnectionOptions nats_options = opts.nats;
  nats_options.name = "sb-control " + opts.control_id;
  nats_options.jetstream_timeout = opts.publish_timeout;
  ControlServer* raw = self.get();
  auto nats = NatsConnection::Connect(nats_options, [raw](bool connected) {
    raw->process_metrics_->SetNatsConnected(connected);
    // grpc.health.v1 follows NATS: a control process without NATS can serve nothing.
    if (raw->grpc_server_ != nullptr && !raw->stopped_) {
      raw->grpc_server_->GetHealthCheckService()->SetServingStatus(connected);
    }
    // Messages republished while disconnected never reach the watches; the
    // registry checks their rooms' tails on the worker pool.
    if (connected && !raw->stopped_) raw->watches_.CheckAll();
  });
  if (!nats.ok()) return nats.status();
  self->nats_ = std::move(*nats);

  auto bus = fanout::BusPublisher::Create(self->nats_.get(), self->subjects_, opts.publish_timeout);
  if (!bus.ok()) return bus.status();
  self->bus_ = std::move(*bus);
  // The control plane reads history on its own RPC threads, never via Run().
  self->history_reader_ =
      std::make_unique<fanout::HistoryReader>(self->nats_.get(), self->subjects_, /*threads=*/1);
  self->directory_ = std::make_unique<fanout::GatewayDirectory>();
  if (absl::Status s = self->directory_->Listen(self->nats_.get(), self->subjects_); !s.ok()) {
    return s;
  }
  self->fanout_ =
      std::make_unique<fanout::CommandFanout>(self->nats_.get(), self->subjects_, self->directory_.get());
  self->bans_ = std::make_unique<BanWriter>(self->nats_.get(), self->subjects_,
                                            opts.stream.replicas, opts.stream.file_storage);
  self->commands_ = std::make_unique<GatewayCommands>(self->fanout_.get(), self->directory_.get(),
                                                      self->bans_.get());
  self->publisher_ = std::make_unique<RoomPublisher>(self->bus_.get(), opts.max_payload_bytes,
                                                     opts.publish_timeout + absl::Seconds(5));
  self->history_query_ = std::make_unique<HistoryQuery>(self->history_reader_.get());
  self->rpc_metrics_ = std::make_unique<RpcMetrics>(*self->registry_);
  self->pool_ = std::make_unique<WorkerPool>(opts.rpc_threads, opts.max_queued_rpcs);
  self->watches_.Start(self->nats_.get(), self->history_reader_.get(), self->pool_.get());

  if (absl::Status s = self->ProvisionStream(); !s.ok()) return s;
  // As with the stream: with NATS up, start ready (the load is one read).
  if (self->nats_->connected()) self->directory_->WaitLoaded(absl::Now() + absl::Seconds(5));

  ControlServiceBackends backends;
  backends.auth = self->auth_.get();
  backends.metrics = self->rpc_metrics_.get();
  backends.pool = self->pool_.get();
  backends.publisher = self->publisher_.get();
  backends.history = self->history_query_.get();
  backends.commands = self->commands_.get();
  backends.command_timeout = opts.command_timeout;
  backends.watch.nats = self->nats_.get();
  backends.watch.subjects = &self->subjects_;
  backends.watch.history = self->history_reader_.get();
  backends.watch.pool = self->pool_.get();
  backends.watch.metrics = self->rpc_metrics_.get();
  backends.watch.watches = &self->watches_;
  backends.watch.max_queued_events = opts.watch_max_queued_events;
  self->service_ = std::make_unique<ControlService>(std::move(backends));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, so a second control plane on the same
  // port would start and take half of the calls: refuse a port in use instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(opts.grpc_address, *credentials, &self->grpc_port_);
  builder.RegisterService(self->service_.get());
  self->grpc_server_ = builder.BuildAndStart();
  if (self->grpc_server_ == nullptr || self->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", opts.grpc_address));
  }
  self->grpc_server_->GetHealthCheckService()->SetServingStatus(self->nats_->connected());

  AdminServer::Options admin_options{opts.admin_address, opts.admin_port};
  auto admin = AdminServer::Start(admin_options, self->registry_, [raw] { return raw->Readiness(); });
  if (!admin.ok()) return admin.status();
  self->admin_ = std::move(*admin);
  SB_LOG_INFO("control {} serving gRPC{} on port {}, admin on {}:{}", opts.control_id,
              opts.tls_cert_file.empty() ? "" : " (TLS)", self->grpc_port_, opts.admin_address,
              self->admin_->port());
  return self;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ControlServer::Credentials() {
  const ControlOptions& opts = options_;
  if (opts.tls_cert_file.empty() != opts.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (opts.tls_cert_file.empty()) {
    if (!opts.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
    }
    return grpc::InsecureServerCredentials();
  }
  // Renewals need no restart: the mirror checks the operator's files every
  // refresh interval and copies the good ones, and gRPC's watcher hands new
  // connections what the copies hold. A file that is missing or does not
  // parse stops the start here, with a message naming it.
  const absl::Duration refresh =
      std::max(absl::Seconds(1), absl::Trunc(opts.tls_refresh_interval, absl::Seconds(1)));
  const bool mutual = !opts.tls_client_ca_file.empty();
  auto mirror = TlsFileMirror::Start(opts.tls_cert_file, opts.tls_key_file,
                                     opts.tls_client_ca_file, refresh);
  if (!mirror.ok()) return mirror.status();
  tls_files_ = *std::move(mirror);
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls_files_->key_file(), tls_files_->cert_file(), tls_files_->ca_file(),
      static_cast<unsigned int>(absl::ToInt64Seconds(refresh)));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (mutual) {
    tls.watch_root_certs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

absl::Status ControlServer::ProvisionStream() {
  if (nats_->connected()) {
    absl::Status s = fanout::EnsureStream(nats_->jetstream(), subjects_, options_.stream,
                                          options_.stream_update);
    if (s.ok()) {
      stream_ready_ = true;
      return s;
    }
    // A conflicting stream is a configuration error: refuse to start, loudly.
    if (absl::IsFailedPrecondition(s) || absl::IsInvalidArgument(s)) return s;
    SB_LOG_WARN("cannot provision stream {} yet ({}); retrying in the background",
                subjects_.StreamName(), s.ToString());
  }
  stream_thread_ = std::thread([this] { ProvisionLoop(); });
  return absl::OkStatus();
}

void ControlServer::ProvisionLoop() {
  absl::Duration wait = kProvisionRetry;
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) return;
    }
    if (!nats_->connected()) continue;
    absl::Status s = fanout::EnsureStream(nats_->jetstream(), subjects_, options_.stream,
                                          options_.stream_update);
    if (s.ok()) {
      SB_LOG_INFO("stream {} provisioned", subjects_.StreamName());
      stream_ready_ = true;
      return;
    }
    const bool conflict = absl::IsFailedPrecondition(s) || absl::IsInvalidArgument(s);
    wait = conflict ? kProvisionConflictRetry : kProvisionRetry;
    if (conflict) {
      SB_LOG_ERROR("stream {}: {}", subjects_.StreamName(), s.ToString());
    } else {
      SB_LOG_WARN("stream {} not provisioned yet: {}", subjects_.StreamName(), s.ToString());
    }
  }
}

absl::Status ControlServer::Readiness() const {
  if (stopped_) return absl::UnavailableError("stopping");
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  if (!stream_ready_) return absl::UnavailableError("persisted-rooms stream not provisioned yet");
  if (!directory_->loaded()) return absl::UnavailableError("gateway directory not loaded yet");
  return absl::OkStatus();
}

void ControlServer::Stop(absl::Duration grace) {
  if (stopped_.exchange(true)) return;
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (stream_thread_.joinable()) stream_thread_.join();
  if (grpc_server_) {
    grpc_server_->GetHealthCheckService()->Shutdown();
    grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
    grpc_server_->Wait();
  }
  // Every call has finished; drain the queue before NATS goes (a tail check
  // in progress gives up at its next wait).
  watches_.Stop();
  pool_.reset();
  if (admin_) admin_->Stop();
  if (nats_) nats_->Close();
}

}  // namespace switchboard::control
