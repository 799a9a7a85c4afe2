#include "control/control_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace switchboard::control {

ControlServer::ControlServer(ControlOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {}

ControlServer::~ControlServer() { Stop(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(ControlOptions options) {
  std::unique_ptr<ControlServer> self(new ControlServer(std::move(options)));
  self->process_metrics_ =
      std::make_unique<ProcessMetrics>(*self->registry_, "control", self->options_.control_id);

  NatsConnectionOptions nats_options = self->options_.nats;
  nats_options.name = "sb-control " + self->options_.control_id;
  ControlServer* raw = self.get();
  auto nats = NatsConnection::Connect(nats_options, [raw](bool connected) {
    raw->process_metrics_->SetNatsConnected(connected);
    // grpc.health.v1 follows NATS: a control process without NATS can serve nothing.
    if (raw->grpc_server_ != nullptr && !raw->stopped_) {
      raw->grpc_server_->GetHealthCheckService()->SetServingStatus(connected);
    }
  });
  if (!nats.ok()) return nats.status();
  self->nats_ = std::move(*nats);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(self->options_.grpc_address, grpc::InsecureServerCredentials(),
                           &self->grpc_port_);
  self->grpc_server_ = builder.BuildAndStart();
  if (self->grpc_server_ == nullptr || self->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", self->options_.grpc_address));
  }
  self->grpc_server_->GetHealthCheckService()->SetServingStatus(self->nats_->connected());

  AdminServer::Options admin_options{self->options_.admin_address, self->options_.admin_port};
  auto admin = AdminServer::Start(admin_options, self->registry_,
                                  [raw] { return raw->Readiness(); });
  if (!admin.ok()) return admin.status();
  self->admin_ = std::move(*admin);
  SB_LOG_INFO("control {} serving gRPC on port {}, admin on {}:{}", self->options_.control_id,
              self->grpc_port_, self->options_.admin_address, self->admin_->port());
  return self;
}

absl::Status ControlServer::Readiness() const {
  if (stopped_) return absl::UnavailableError("stopping");
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  return absl::OkStatus();
}

void ControlServer::Stop(absl::Duration grace) {
  if (stopped_.exchange(true)) return;
  if (grpc_server_) {
    grpc_server_->GetHealthCheckService()->Shutdown();
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoMilliseconds(grace));
    grpc_server_->Wait();
  }
  if (admin_) admin_->Stop();
  if (nats_) nats_->Close();
}

}  // namespace switchboard::control
