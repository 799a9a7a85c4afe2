#include "fanout/gateway_directory.h"

#include <algorithm>

#include "common/logging.h"
#include "common/nats_status.h"

namespace switchboard::fanout {

using switchboard::bus::v1::GatewayHeartbeat;

namespace {

// Dead records are dropped at most this often (they are already invisible).
constexpr absl::Duration kPruneEvery = absl::Seconds(1);
// How long the destructor waits for NATS.c to confirm the subscription closed.
constexpr absl::Duration kCloseWait = absl::Seconds(5);

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

GatewayDirectory::~GatewayDirectory() {
  if (sub_ == nullptr) return;
  natsSubscription_Unsubscribe(sub_);
  // If the connection was closed first, NATS.c has completed the subscription
  // already; either way no callback runs once the notification fired.
  if (!sub_done_.WaitForNotificationWithTimeout(kCloseWait)) {
    SB_LOG_WARN("heartbeat subscription did not confirm its close");
  }
  natsSubscription_Destroy(sub_);
}

absl::Status GatewayDirectory::Listen(NatsConnection* nats, const Subjects& subjects) {
  const std::string subject = subjects.Heartbeat();
  natsStatus s = natsConnection_Subscribe(&sub_, nats->raw(), subject.c_str(),
                                          &GatewayDirectory::OnMessage, this);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub_, &GatewayDirectory::OnComplete, this);
  if (s != NATS_OK) {
    if (sub_ != nullptr) {
      natsSubscription_Destroy(sub_);
      sub_ = nullptr;
    }
    return FromNatsStatus(s, "subscribe to " + subject);
  }
  return absl::OkStatus();
}

void GatewayDirectory::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                                 void* closure) {
  auto* self = static_cast<GatewayDirectory*>(closure);
  GatewayHeartbeat heartbeat;
  if (heartbeat.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
    self->Observe(heartbeat, absl::Now());
  } else {
    SB_LOG_WARN("ignoring a heartbeat that is not a GatewayHeartbeat");
  }
  natsMsg_Destroy(msg);
}

void GatewayDirectory::OnComplete(void* closure) {
  static_cast<GatewayDirectory*>(closure)->sub_done_.Notify();
}

bool GatewayDirectory::IsLive(const GatewayRecord& record, absl::Time now) {
  return now - record.last_seen <= kMissedBeats * record.interval;
}

void GatewayDirectory::Observe(const GatewayHeartbeat& heartbeat, absl::Time now) {
  const std::string& id = heartbeat.info().gateway_id();
  if (id.empty()) return;
  absl::Duration interval = FromProto(heartbeat.interval());
  if (interval <= absl::ZeroDuration()) interval = kDefaultInterval;

  absl::MutexLock lock(&mu_);
  auto [it, inserted] = gateways_.try_emplace(id);
  if (inserted || !IsLive(it->second, now)) SB_LOG_INFO("gateway {} is live", id);
  it->second.info = heartbeat.info();
  it->second.interval = interval;
  it->second.last_seen = now;

  if (now - last_prune_ < kPruneEvery) return;
  last_prune_ = now;
  for (auto i = gateways_.begin(); i != gateways_.end();) {
    if (IsLive(i->second, now)) {
      ++i;
      continue;
    }
    SB_LOG_INFO("gateway {} missed {} heartbeats; considered dead", i->first, kMissedBeats);
    gateways_.erase(i++);
  }
}

std::vector<GatewayRecord> GatewayDirectory::Live(absl::Time now) const {
  std::vector<GatewayRecord> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, record] : gateways_) {
      if (IsLive(record, now)) out.push_back(record);
    }
  }
  std::sort(out.begin(), out.end(), [](const GatewayRecord& a, const GatewayRecord& b) {
    return a.info.gateway_id() < b.info.gateway_id();
  });
  return out;
}

absl::flat_hash_set<std::string> GatewayDirectory::LiveIds(absl::Time now) const {
  absl::flat_hash_set<std::string> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, record] : gateways_) {
    if (IsLive(record, now)) out.insert(id);
  }
  return out;
}

}  // namespace switchboard::fanout
