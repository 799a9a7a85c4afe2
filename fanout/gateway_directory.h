#ifndef SWITCHBOARD_FANOUT_GATEWAY_DIRECTORY_H_
#define SWITCHBOARD_FANOUT_GATEWAY_DIRECTORY_H_

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "fanout/kv_bucket.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::fanout {

// What the directory knows about one gateway.
struct GatewayRecord {
  switchboard::bus::v1::GatewayInfo info;
  // The heartbeat interval the gateway announced.
  absl::Duration interval;
  absl::Time last_seen;
};

// The live gateways of the cluster, learnt from GatewayHeartbeat messages on
// Subjects::Heartbeat(). A gateway is live until it has been silent for
// kMissedBeats of its own announced intervals (kDefaultInterval when it
// announced none); after that it is dead and no longer listed.
//
// Every gateway also writes its latest heartbeat into the KV bucket
// Subjects::GatewaysBucket() (CommandHandler), and Listen() loads that bucket
// once NATS is reachable, taking each entry's write time as its last beat: so
// a process that started a moment ago knows every live gateway at once, and
// scatter-gather (CommandFanout) waits for all of them instead of answering
// without those it has not heard yet. Until the bucket is loaded, loaded() is
// false and CommandFanout waits for it.
//
// Thread-safe; the subscription's callback runs on a NATS.c thread, the
// loading on a thread of the directory's own.
class GatewayDirectory {
 public:
  static constexpr int kMissedBeats = 3;
  static constexpr absl::Duration kDefaultInterval = absl::Seconds(5);

  GatewayDirectory() = default;
  // Stops listening and waits until the NATS callback can no longer run.
  ~GatewayDirectory();
  GatewayDirectory(const GatewayDirectory&) = delete;
  GatewayDirectory& operator=(const GatewayDirectory&) = delete;

  // Subscribes to heartbeats on `nats` (which must outlive the directory, or
  // be closed before it) and starts loading the bucket, retrying until NATS
  // lets it. Call at most once.
  absl::Status Listen(NatsConnection* nats, const Subjects& subjects);

  // True once the bucket's gateways are in the directory.
  bool loaded() const { return loaded_.load(); }
  // Waits until loaded() or `deadline`; returns loaded().
  bool WaitLoaded(absl::Time deadline) const;
  // The bucket, once open (nullptr before): gateways register in it.
  KvBucket* bucket() const { return bucket_ptr_.load(); }
  // The bucket's options for `subjects`.
  static KvBucketOptions BucketOptions(const Subjects& subjects);

  // Records a heartbeat received at `now`. Heartbeats without a gateway id are
  // ignored. Listen's subscription calls it; tests may call it directly.
  void Observe(const switchboard::bus::v1::GatewayHeartbeat& heartbeat, absl::Time now);

  // Live gateways at `now`, sorted by gateway id.
  std::vector<GatewayRecord> Live(absl::Time now) const;
  absl::flat_hash_set<std::string> LiveIds(absl::Time now) const;

 private:
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  void LoadLoop(NatsConnection* nats, Subjects subjects);
  // Reads every entry of the bucket once.
  absl::Status Load();
  static void OnComplete(void* closure);
  static bool IsLive(const GatewayRecord& record, absl::Time now);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, GatewayRecord> gateways_ ABSL_GUARDED_BY(mu_);
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  std::unique_ptr<KvBucket> bucket_;  // written by the load thread only
  std::atomic<KvBucket*> bucket_ptr_{nullptr};
  std::atomic<bool> loaded_{false};
  mutable absl::Mutex load_mu_;
  bool loaded_locked_ ABSL_GUARDED_BY(load_mu_) = false;
  absl::Notification stop_loading_;
  std::thread loader_;

  natsSubscription* sub_ = nullptr;
  // Set by NATS.c once the subscription is closed and its callback returned.
  absl::Notification sub_done_;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_GATEWAY_DIRECTORY_H_
