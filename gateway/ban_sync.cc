#include "gateway/ban_sync.h"

#include <algorithm>
#include <iterator>

#include "common/logging.h"
#include "common/proto_time.h"

namespace switchboard::gateway {

BanSync::BanSync(NatsConnection* nats, Subjects subjects, int replicas, bool file_storage,
                 BanList* bans, Kick kick)
    : nats_(nats),
      subjects_(std::move(subjects)),
      replicas_(replicas),
      file_storage_(file_storage),
      bans_(bans),
      kick_(std::move(kick)) {}

BanSync::~BanSync() { Stop(); }

absl::Status BanSync::Open() {
  if (watch_) return absl::OkStatus();
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  auto store = fanout::BanStore::Open(nats_->jetstream(), subjects_, replicas_, file_storage_);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  watch_ = std::make_unique<fanout::KvWatch>(
      store_->bucket(), [this](const fanout::KvWatch::Entry& e) { OnEntry(e); },
      [this] {
        if (!loaded_.exchange(true)) SB_LOG_INFO("bans loaded from {}", subjects_.BansBucket());
      });
  watch_->Start();
  return absl::OkStatus();
}

void BanSync::Restart() {
  if (watch_) watch_->Restart();
}

void BanSync::Stop() {
  if (watch_) watch_->Stop();
}

void BanSync::OnEntry(const fanout::KvWatch::Entry& entry) {
  if (!entry.value) {
    if (auto user = fanout::KvBucket::DecodeKey(entry.key)) bans_->Remove(*user);
    return;
  }
  auto ban = fanout::BanStore::Decode(*entry.value);
  if (!ban) {
    SB_LOG_WARN("ignoring an undecodable entry {} in {}", entry.key, subjects_.BansBucket());
    return;
  }
  const absl::Time until = FromProto(ban->until());
  if (until <= absl::Now()) return;  // over already
  if (bans_->Add(ban->user_id(), until, ban->reason()) && kick_) {
    const absl::Time due = ban->has_banned_at() ? FromProto(ban->banned_at()) + kKickGrace
                                                : absl::InfinitePast();
    absl::MutexLock lock(&mu_);
    deferred_.push_back(DeferredKick{due, ban->user_id(), ban->reason()});
  }
}

void BanSync::KickDue(absl::Time now) {
  std::vector<DeferredKick> due;
  {
    absl::MutexLock lock(&mu_);
    auto split = std::partition(deferred_.begin(), deferred_.end(),
                                [now](const DeferredKick& k) { return k.due > now; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(deferred_.end()));
    deferred_.erase(split, deferred_.end());
  }
  for (const DeferredKick& k : due) kick_(k.user_id, k.reason);
}

}  // namespace switchboard::gateway
