#include "control/watch_registry.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/logging.h"

namespace switchboard::control {

void WatchRegistry::Start(NatsConnection* nats, const fanout::HistoryReader* history,
                          WorkerPool* pool) {
  absl::MutexLock lock(&mu_);
  nats_ = nats;
  history_ = history;
  pool_ = pool;
}

void WatchRegistry::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

void WatchRegistry::Add(TailCheckedWatch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.insert(watch);
}

void WatchRegistry::Remove(TailCheckedWatch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.erase(watch);
}

void WatchRegistry::CheckAll() {
  std::vector<TailCheckedWatch*> refused;
  {
    absl::MutexLock lock(&mu_);
    if (pool_ == nullptr || stopping_ || watches_.empty()) return;
    SB_LOG_INFO("NATS reconnected: checking the tails of {} watch streams", watches_.size());
    for (TailCheckedWatch* watch : watches_) EnqueueLocked(watch);
    StartSweepLocked(&refused);
  }
  Refuse(refused);
}

void WatchRegistry::Check(TailCheckedWatch* watch) {
  std::vector<TailCheckedWatch*> refused;
  {
    absl::MutexLock lock(&mu_);
    if (pool_ == nullptr || stopping_ || !watches_.contains(watch)) return;
    EnqueueLocked(watch);
    StartSweepLocked(&refused);
  }
  Refuse(refused);
}

WatchRegistry::Stats WatchRegistry::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats;
  stats.registered = watches_.size();
  stats.intact = intact_;
  stats.missed = missed_;
  stats.unknown = unknown_;
  return stats;
}

void WatchRegistry::EnqueueLocked(TailCheckedWatch* watch) {
  // A watch already pending holds a reference: a second one would be released
  // under mu_, and a watch whose count reached zero is being destroyed (its
  // destructor waits on mu_ in Remove).
  if (pending_.contains(watch) || !watch->TryRef()) return;
  pending_.insert(watch);
}

void WatchRegistry::StartSweepLocked(std::vector<TailCheckedWatch*>* refused) {
  if (sweeping_ || pending_.empty()) return;
  sweeping_ = true;
  if (pool_->TrySubmit([this] { Sweep(); })) return;
  sweeping_ = false;
  refused->assign(pending_.begin(), pending_.end());
  pending_.clear();
  unknown_ += refused->size();
}

void WatchRegistry::Refuse(const std::vector<TailCheckedWatch*>& refused) {
  if (refused.empty()) return;
  SB_LOG_WARN("cannot check the tails of {} watch streams: worker pool full", refused.size());
  const absl::Status cause = absl::ResourceExhaustedError("control plane overloaded");
  for (TailCheckedWatch* watch : refused) {
    watch->EndTailUnknown(cause);
    watch->Unref();
  }
}

void WatchRegistry::Sweep() {
  while (true) {
    std::vector<TailCheckedWatch*> batch;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      batch.assign(pending_.begin(), pending_.end());
      pending_.clear();
      stopping = stopping_;
      if (batch.empty()) {
        sweeping_ = false;
        return;
      }
    }
    // Watches that reconnect again meanwhile are pending anew: checked in the
    // next round, against the tail as it is then.
    if (!stopping) CheckBatch(batch);
    // Outside mu_: the last reference destroys the watch, which calls Remove.
    for (TailCheckedWatch* watch : batch) watch->Unref();
  }
}

void WatchRegistry::CheckBatch(const std::vector<TailCheckedWatch*>& batch) {
  NatsConnection* nats;
  const fanout::HistoryReader* history;
  {
    absl::MutexLock lock(&mu_);
    nats = nats_;
    history = history_;
  }
  std::vector<TailCheckedWatch*> remaining = batch;
  const absl::Time give_up = absl::Now() + options_.retry_budget;
  absl::Duration backoff = options_.first_backoff;
  while (true) {
    // One read per room, however many watch it.
    absl::flat_hash_map<std::string, absl::StatusOr<uint64_t>> tails;
    for (TailCheckedWatch* watch : remaining) {
      if (!tails.contains(watch->room())) {
        tails.emplace(watch->room(), history->LastOffset(watch->room()));
      }
    }
    // One grace period for the whole round, however many watches are behind.
    const absl::Time grace_deadline = absl::Now() + options_.grace;
    std::vector<TailCheckedWatch*> failed;
    absl::Status cause;
    uint64_t intact = 0;
    uint64_t missed = 0;
    for (TailCheckedWatch* watch : remaining) {
      const absl::StatusOr<uint64_t>& tail = tails.at(watch->room());
      if (!tail.ok()) {
        cause = tail.status();
        failed.push_back(watch);
      } else if (watch->EndIfBehind(*tail, grace_deadline)) {
        ++missed;
      } else {
        ++intact;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      intact_ += intact;
      missed_ += missed;
    }
    if (missed > 0) {
      SB_LOG_WARN("{} watch streams missed messages during a NATS outage; ended with ABORTED",
                  missed);
    }
    if (failed.empty()) return;
    // Lost again: the next reconnect queues every watch for a new check.
    if (!nats->connected()) return;
    if (absl::Now() + backoff > give_up) {
      SB_LOG_WARN("cannot read the tails of {} watch streams ({}); ending them with UNAVAILABLE",
                  failed.size(), cause.ToString());
      for (TailCheckedWatch* watch : failed) watch->EndTailUnknown(cause);
      absl::MutexLock lock(&mu_);
      unknown_ += failed.size();
      return;
    }
    if (WaitStopping(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
    remaining = std::move(failed);
  }
}

bool WatchRegistry::WaitStopping(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&stopping_), timeout);
}

}  // namespace switchboard::control
