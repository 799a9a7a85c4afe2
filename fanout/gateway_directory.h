#ifndef SWITCHBOARD_FANOUT_GATEWAY_DIRECTORY_H_
#define SWITCHBOARD_FANOUT_GATEWAY_DIRECTORY_H_

#include <nats/nats.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
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
// announced none); after that it is dead and no longer listed. The control
// plane keeps no other state: a fresh process knows every gateway after one
// heartbeat interval. Thread-safe; the subscription's callback runs on a NATS.c
// thread.
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
  // be closed before it). Call at most once.
  absl::Status Listen(NatsConnection* nats, const Subjects& subjects);

  // Records a heartbeat received at `now`. Heartbeats without a gateway id are
  // ignored. Listen's subscription calls it; tests may call it directly.
  void Observe(const switchboard::bus::v1::GatewayHeartbeat& heartbeat, absl::Time now);

  // Live gateways at `now`, sorted by gateway id.
  std::vector<GatewayRecord> Live(absl::Time now) const;
  absl::flat_hash_set<std::string> LiveIds(absl::Time now) const;

 private:
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void OnComplete(void* closure);
  static bool IsLive(const GatewayRecord& record, absl::Time now);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, GatewayRecord> gateways_ ABSL_GUARDED_BY(mu_);
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  natsSubscription* sub_ = nullptr;
  // Set by NATS.c once the subscription is closed and its callback returned.
  absl::Notification sub_done_;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_GATEWAY_DIRECTORY_H_
