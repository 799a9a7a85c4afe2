#include "gateway/gateway.h"

#include "common/logging.h"

namespace switchboard::gateway {

Gateway::Gateway(GatewayOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {}

Gateway::~Gateway() { Stop(); }

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  std::unique_ptr<Gateway> self(new Gateway(std::move(options)));
  self->process_metrics_ =
      std::make_unique<ProcessMetrics>(*self->registry_, "gateway", self->options_.gateway_id);

  NatsConnectionOptions nats_options = self->options_.nats;
  nats_options.name = "sb-gateway " + self->options_.gateway_id;
  ProcessMetrics* metrics = self->process_metrics_.get();
  auto nats = NatsConnection::Connect(
      nats_options, [metrics](bool connected) { metrics->SetNatsConnected(connected); });
  if (!nats.ok()) return nats.status();
  self->nats_ = std::move(*nats);

  AdminServer::Options admin_options{self->options_.admin_address, self->options_.admin_port};
  Gateway* raw = self.get();
  auto admin = AdminServer::Start(admin_options, self->registry_,
                                  [raw] { return raw->Readiness(); });
  if (!admin.ok()) return admin.status();
  self->admin_ = std::move(*admin);
  SB_LOG_INFO("gateway {} admin on {}:{}", self->options_.gateway_id,
              self->options_.admin_address, self->admin_->port());
  return self;
}

absl::Status Gateway::Readiness() const {
  if (draining_.load()) return absl::UnavailableError("draining");
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  return absl::OkStatus();
}

void Gateway::Drain() {
  if (draining_.exchange(true)) return;
  SB_LOG_INFO("draining (deadline {})", absl::FormatDuration(options_.drain_timeout));
}

void Gateway::Stop() {
  if (admin_) admin_->Stop();
  if (nats_) nats_->Close();
}

}  // namespace switchboard::gateway
