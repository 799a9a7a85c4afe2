#include "gateway/gateway.h"

#include "common/logging.h"
#include "common/random_id.h"
#include "fanout/stream_provisioner.h"
#include "gateway/ban_list.h"

namespace switchboard::gateway {

Gateway::Gateway(GatewayOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {}

Gateway::~Gateway() { Stop(); }

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  std::unique_ptr<Gateway> self(new Gateway(std::move(options)));
  Gateway& g = *self;
  g.process_metrics_ = std::make_unique<ProcessMetrics>(*g.registry_, "gateway", g.options_.gateway_id);

  auto verifier = auth::TokenVerifier::Create(g.options_.auth);
  if (!verifier.ok()) return verifier.status();
  g.verifier_.emplace(std::move(*verifier));

  NatsConnectionOptions nats_options = g.options_.nats;
  nats_options.name = "sb-gateway " + g.options_.gateway_id;
  ProcessMetrics* metrics = g.process_metrics_.get();
  Gateway* me = self.get();
  auto nats = NatsConnection::Connect(nats_options, [metrics, me](bool connected) {
    metrics->SetNatsConnected(connected);
    // After a reconnect the stream may be gone (memory storage, a new
    // cluster): check it again.
    // Messages republished while it was down never arrived: the hub reads
    // each room's tail (from the provisioner thread, not NATS.c's).
    if (connected) {
      me->reprovision_.store(true);
      me->check_tails_.store(true);
      me->reload_bans_.store(true);
    }
  });
  if (!nats.ok()) return nats.status();
  g.nats_ = std::move(*nats);

  g.ctx_.options = &g.options_;
  g.ctx_.subjects = Subjects(g.options_.subject_prefix);
  g.ctx_.nats = g.nats_.get();
  g.ctx_.verifier = &*g.verifier_;
  g.history_ = std::make_unique<fanout::HistoryReader>(g.nats_.get(), g.ctx_.subjects, 4);
  g.ctx_.history = g.history_.get();
  auto publisher = fanout::BusPublisher::Create(g.nats_.get(), g.ctx_.subjects, g.options_.publish_timeout);
  if (!publisher.ok()) return publisher.status();
  g.publisher_ = std::move(*publisher);
  g.ctx_.publisher = g.publisher_.get();
  g.limiter_ = std::make_unique<ConnectionLimiter>(g.options_.limits.max_connections,
                                                   g.options_.limits.max_connections_per_ip);
  g.ctx_.limiter = g.limiter_.get();
  g.ctx_.sessions = &g.sessions_;
  g.ctx_.instance_tag = RandomId().substr(0, 6);
  // The cluster's gateways, from heartbeats: who must answer a presence
  // survey, and which peers were lost.
  g.directory_ = std::make_unique<fanout::GatewayDirectory>();
  if (absl::Status s = g.directory_->Listen(g.nats_.get(), g.ctx_.subjects); !s.ok()) {
    return s;
  }
  g.presence_queries_ = std::make_unique<PresenceQueries>(g.nats_.get(), g.ctx_.subjects,
                                                          g.directory_.get(), absl::Seconds(2));
  g.ctx_.presence_queries = g.presence_queries_.get();
  g.ctx_.bans = &g.bans_;

  std::vector<Worker*> workers;
  std::vector<fanout::Hub::Sink*> sinks;
  std::vector<const WorkerStats*> stats;
  for (int i = 0; i < std::max(1, g.options_.workers); ++i) {
    g.workers_.push_back(std::make_unique<Worker>(i, g.ctx_));
    workers.push_back(g.workers_.back().get());
    sinks.push_back(g.workers_.back().get());
    stats.push_back(&g.workers_.back()->stats());
  }
  g.hub_ = std::make_unique<fanout::Hub>(g.nats_.get(), g.ctx_.subjects, sinks, g.history_.get());
  g.ctx_.hub = g.hub_.get();
  fanout::Hub* hub = g.hub_.get();
  g.metrics_ = std::make_shared<GatewayMetrics>(
      stats, [hub] { return hub->messages_received(); },
      [hub] { return GatewayMetrics::CatchUpReads{hub->window_hits(), hub->window_misses()}; });

  auto listener = Listener::Create(g.options_.listen_address, g.options_.listen_port, workers);
  if (!listener.ok()) return listener.status();
  g.listener_ = std::move(*listener);
  g.options_.listen_port = g.listener_->port();
  if (g.listener_->tls()) {
    auto& reloads = prometheus::BuildCounter()
                        .Name("switchboard_gateway_tls_reloads_total")
                        .Help("TLS certificate reloads on SIGHUP, by result")
                        .Register(*g.registry_);
    g.tls_reloads_ok_ = &reloads.Add({{"result", "ok"}});
    g.tls_reloads_failed_ = &reloads.Add({{"result", "error"}});
    g.tls_not_after_ = &prometheus::BuildGauge()
                            .Name("switchboard_gateway_tls_certificate_expiry_timestamp_seconds")
                            .Help("notAfter of the certificate new wss:// connections get (Unix time)")
                            .Register(*g.registry_)
                            .Add({});
    g.tls_not_after_->Set(
        static_cast<double>(absl::ToUnixSeconds(g.listener_->tls_context()->not_after())));
  }

  for (auto& w : g.workers_) w->Start();
  g.commands_ = std::make_unique<CommandHandler>(g.ctx_, workers, g.options_.heartbeat_interval,
                                                 g.directory_.get());
  if (absl::Status s = g.commands_->Start(); !s.ok()) {
    SB_LOG_WARN("control commands unavailable until NATS is: {}", s.ToString());
  }
  CommandHandler* commands = g.commands_.get();
  g.ban_sync_ = std::make_unique<BanSync>(
      g.nats_.get(), g.ctx_.subjects, g.options_.stream.replicas, g.options_.stream.file_storage,
      &g.bans_, [commands](const std::string& user_id, const std::string& reason) {
        // A ban this gateway learned from the bucket, not from the Kick
        // command (it was away from NATS then): the user's connections go.
        switchboard::bus::v1::Command command;
        command.mutable_kick()->set_user_id(user_id);
        command.mutable_kick()->set_reason(reason);
        commands->Execute(command);
      });
  g.provisioner_ = std::thread([&g] { g.ProvisionStream(); });
  g.listener_->Start();

  AdminServer::Options admin_options{g.options_.admin_address, g.options_.admin_port};
  Gateway* raw = self.get();
  auto admin = AdminServer::Start(admin_options, g.registry_, [raw] { return raw->Readiness(); });
  if (!admin.ok()) return admin.status();
  g.admin_ = std::move(*admin);
  g.admin_->AddCollectable(g.metrics_);
  SB_LOG_INFO("gateway {} serving {}://{}:{}/ws with {} worker(s); admin on {}:{}",
              g.options_.gateway_id, g.listener_->tls() ? "wss" : "ws", g.options_.listen_address, g.listener_->port(),
              g.workers_.size(), g.options_.admin_address, g.admin_->port());
  return self;
}

absl::Status Gateway::ReloadTls() {
  auto context = listener_->ReloadTls(options_.tls);
  if (!context.ok()) {
    if (tls_reloads_failed_ != nullptr) tls_reloads_failed_->Increment();
    SB_LOG_ERROR("TLS reload failed, keeping the current certificate: {}",
                 context.status().ToString());
    return context.status();
  }
  tls_reloads_ok_->Increment();
  tls_not_after_->Set(static_cast<double>(absl::ToUnixSeconds((*context)->not_after())));
  SB_LOG_INFO("TLS reloaded: new connections get {}", (*context)->description());
  return absl::OkStatus();
}

void Gateway::ProvisionStream() {
  absl::Duration backoff = absl::Milliseconds(200);
  absl::Duration tail_backoff = absl::Milliseconds(200);
  absl::Time next_tail_check = absl::InfinitePast();
  bool tails_due = false;
  bool conflict = false;
  while (!stopping_.HasBeenNotified()) {
    // Tail checks: at once after a reconnect, then again with a growing
    // interval while the stream cannot be read.
    if (check_tails_.exchange(false)) {
      tail_backoff = absl::Milliseconds(200);
      next_tail_check = absl::InfinitePast();
      hub_->TakeTailRecheck();
      tails_due = true;
    }
    if (hub_->TakeTailRecheck()) tails_due = true;
    if (tails_due && nats_->connected() && absl::Now() >= next_tail_check) {
      tails_due = false;
      hub_->CheckTails();
      next_tail_check = absl::Now() + tail_backoff;
      tail_backoff = std::min(tail_backoff * 2, absl::Seconds(5));
    }
    if (nats_->connected()) {
      if (reload_bans_.exchange(false)) ban_sync_->Restart();
      ban_sync_->KickDue(absl::Now());
      if (!ban_sync_->loaded()) {
        if (absl::Status s = ban_sync_->Open(); !s.ok()) {
          SB_LOG_WARN("bans not loaded yet: {}", s.ToString());
        }
      }
    }
    const bool due = !stream_ready_.load() || reprovision_.exchange(false);
    if (due && !conflict && nats_->connected()) {
      absl::Status s = fanout::EnsureStream(nats_->jetstream(), ctx_.subjects, options_.stream,
                                            options_.stream_update);
      if (s.ok()) {
        stream_ready_.store(true);
        backoff = absl::Milliseconds(200);
      } else if (absl::IsFailedPrecondition(s)) {
        // A configuration conflict does not heal by waiting: say so loudly and
        // stay unready, so no traffic reaches a gateway that would misbehave.
        SB_LOG_ERROR("{}", s.ToString());
        stream_ready_.store(false);
        conflict = true;
      } else {
        SB_LOG_WARN("stream not ready yet: {}", s.ToString());
        reprovision_.store(true);
      }
    }
    stopping_.WaitForNotificationWithTimeout(backoff);
    if (reprovision_.load()) backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

absl::Status Gateway::Readiness() const {
  if (ctx_.draining.load()) return absl::UnavailableError("draining");
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  if (!stream_ready_.load()) return absl::UnavailableError("rooms stream not provisioned");
  // Until then a banned user could connect.
  if (!ban_sync_->loaded()) return absl::UnavailableError("bans not loaded from NATS yet");
  // Until then presence queries could miss gateways, and others miss this one.
  if (!directory_->loaded()) return absl::UnavailableError("gateway directory not loaded yet");
  if (!commands_->registered()) {
    return absl::UnavailableError("not registered in the gateway directory yet");
  }
  return absl::OkStatus();
}

void Gateway::Drain() {
  if (ctx_.draining.exchange(true)) return;
  SB_LOG_INFO("draining: {} connection(s), window {}, deadline {}", connections(),
              absl::FormatDuration(options_.drain_window), absl::FormatDuration(options_.drain_timeout));
  listener_->StopAccepting();
  for (auto& w : workers_) {
    Worker* worker = w.get();
    absl::Duration window = options_.drain_window;
    worker->Post([worker, window] { worker->Drain(window); });
  }
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  while (connections() > 0 && absl::Now() < deadline) {
    stopping_.WaitForNotificationWithTimeout(absl::Milliseconds(50));
  }
  SB_LOG_INFO("drained; {} connection(s) left", connections());
  FlushPresence();
}

void Gateway::FlushPresence() {
  std::vector<std::shared_ptr<absl::Notification>> done;
  for (auto& w : workers_) {
    auto n = std::make_shared<absl::Notification>();
    done.push_back(n);
    Worker* worker = w.get();
    worker->Post([worker, n] {
      worker->rooms().FlushPresence();
      n->Notify();
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  for (auto& n : done) n->WaitForNotificationWithDeadline(deadline);
}

void Gateway::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (provisioner_.joinable()) provisioner_.join();
  if (ban_sync_) ban_sync_->Stop();  // it kicks through commands_
  if (admin_) admin_->Stop();
  if (commands_) commands_->Stop();
  if (listener_) listener_->StopAccepting();
  if (hub_) hub_->Stop();
  if (commands_) FlushPresence();  // the workers run
  for (auto& w : workers_) w->Stop();
  // After the workers: no session can start a query any more.
  presence_queries_.reset();
  // Acks of publishes still in flight are answered before the connection goes.
  publisher_.reset();
  if (nats_) nats_->Close();
}

}  // namespace switchboard::gateway
