#include "fanout/gateway_directory.h"

#include <algorithm>

#include "common/logging.h"
#include "common/nats_status.h"
#include "common/proto_time.h"

namespace switchboard::fanout {

using switchboard::bus::v1::GatewayHeartbeat;

namespace {

// Dead records are dropped at most this often (they are already invisible).
constexpr absl::Duration kPruneEvery = absl::Seconds(1);
// How long the destructor waits for NATS.c to confirm the subscription closed.
constexpr absl::Duration kCloseWait = absl::Seconds(5);

// How long one read of the bucket may wait for its next entry.
constexpr int64_t kLoadEntryMillis = 2000;

}  // namespace

KvBucketOptions GatewayDirectory::BucketOptions(const Subjects& subjects) {
  KvBucketOptions options;
  options.name = subjects.GatewaysBucket();
  options.description = "Switchboard gateways (latest bus.v1.GatewayHeartbeat of each)";
  // Liveness comes from each entry's age; the max age only removes the
  // entries of gateways gone long ago. Memory: it is rebuilt by heartbeats.
  options.max_age = absl::Hours(1);
  options.file_storage = false;
  options.max_value_bytes = 16 * 1024;
  return options;
}

GatewayDirectory::~GatewayDirectory() {
  if (!stop_loading_.HasBeenNotified()) stop_loading_.Notify();
  if (loader_.joinable()) loader_.join();
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
  loader_ = std::thread([this, nats, subjects] { LoadLoop(nats, subjects); });
  return absl::OkStatus();
}

void GatewayDirectory::LoadLoop(NatsConnection* nats, Subjects subjects) {
  absl::Duration wait = absl::Milliseconds(100);
  while (!stop_loading_.HasBeenNotified()) {
    if (nats->connected()) {
      if (bucket_ == nullptr) {
        auto bucket = KvBucket::Open(nats->jetstream(), BucketOptions(subjects));
        if (bucket.ok()) {
          bucket_ = std::move(*bucket);
          bucket_ptr_.store(bucket_.get());
        } else {
          SB_LOG_WARN("gateway directory: {}", bucket.status().ToString());
        }
      }
      if (bucket_ != nullptr) {
        absl::Status s = Load();
        if (s.ok()) {
          absl::MutexLock lock(&load_mu_);
          loaded_locked_ = true;
          loaded_.store(true);
          return;
        }
        SB_LOG_WARN("gateway directory not loaded yet: {}", s.ToString());
      }
    }
    stop_loading_.WaitForNotificationWithTimeout(wait);
    wait = std::min(wait * 2, absl::Seconds(2));
  }
}

absl::Status GatewayDirectory::Load() {
  kvWatcher* watcher = nullptr;
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  options.IgnoreDeletes = true;
  natsStatus s = kvStore_WatchAll(&watcher, bucket_->raw(), &options);
  if (s != NATS_OK) return FromNatsStatus(s, "read " + bucket_->name());
  int gateways = 0;
  absl::Status result;
  while (true) {
    kvEntry* entry = nullptr;
    s = kvWatcher_Next(&entry, watcher, kLoadEntryMillis);
    if (s != NATS_OK) {
      result = FromNatsStatus(s, "read " + bucket_->name());
      break;
    }
    if (entry == nullptr) break;  // every current entry has been read
    GatewayHeartbeat heartbeat;
    if (kvEntry_Operation(entry) == kvOp_Put &&
        heartbeat.ParseFromArray(kvEntry_Value(entry), kvEntry_ValueLen(entry))) {
      ++gateways;
      // The write time, not now: an entry of a gateway gone quiet is not live.
      GatewayRecord record;
      record.last_seen = absl::FromUnixNanos(kvEntry_Created(entry));
      record.interval = FromProto(heartbeat.interval());
      if (record.interval <= absl::ZeroDuration()) record.interval = kDefaultInterval;
      if (IsLive(record, absl::Now())) Observe(heartbeat, record.last_seen);
    }
    kvEntry_Destroy(entry);
  }
  kvWatcher_Stop(watcher);
  kvWatcher_Destroy(watcher);
  if (result.ok()) {
    SB_LOG_INFO("gateway directory loaded: {} entries, {} live", gateways,
                LiveIds(absl::Now()).size());
  }
  return result;
}

bool GatewayDirectory::WaitLoaded(absl::Time deadline) const {
  if (loaded_.load()) return true;
  absl::MutexLock lock(&load_mu_);
  return load_mu_.AwaitWithDeadline(absl::Condition(&loaded_locked_), deadline);
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
  // An older beat (read from the bucket after a live one) changes nothing.
  if (!inserted && it->second.last_seen > now) return;
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
