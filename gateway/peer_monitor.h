#ifndef SWITCHBOARD_GATEWAY_PEER_MONITOR_H_
#define SWITCHBOARD_GATEWAY_PEER_MONITOR_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "fanout/gateway_directory.h"

namespace switchboard::gateway {

// Notices when another gateway of the cluster is gone, so that this gateway
// can tell its members that the lost gateway's presence entries are void
// (PRESENCE_CHANGE_GATEWAY_LOST). A gateway is lost when the directory stops
// listing it as live (3 missed heartbeats), or when it is listed with a new
// start time (it restarted under the same id, and its old connections with
// it). Not thread-safe: one caller, periodically.
class PeerMonitor {
 public:
  // `directory` must outlive this object; `self_id` is never reported.
  PeerMonitor(const fanout::GatewayDirectory* directory, std::string self_id);

  struct Lost {
    std::string gateway_id;
    // When the gateway came back under the same id (its entries from before
    // are void, its new ones are not); InfinitePast if it is just gone.
    absl::Time restarted_at = absl::InfinitePast();
  };
  // The gateways lost since the previous call, sorted by id.
  std::vector<Lost> TakeLost(absl::Time now);

 private:
  const fanout::GatewayDirectory* directory_;
  std::string self_id_;
  // Live gateways at the previous call, with their start times.
  absl::flat_hash_map<std::string, absl::Time> known_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_PEER_MONITOR_H_
