#include "gateway/peer_monitor.h"

#include <algorithm>
#include <utility>

#include "common/proto_time.h"

namespace switchboard::gateway {

PeerMonitor::PeerMonitor(const fanout::GatewayDirectory* directory, std::string self_id)
    : directory_(directory), self_id_(std::move(self_id)) {}

std::vector<PeerMonitor::Lost> PeerMonitor::TakeLost(absl::Time now) {
  absl::flat_hash_map<std::string, absl::Time> live;
  for (const fanout::GatewayRecord& record : directory_->Live(now)) {
    const std::string& id = record.info.gateway_id();
    if (id == self_id_) continue;
    live[id] = record.info.has_started_at() ? FromProto(record.info.started_at()) : absl::Time();
  }
  std::vector<Lost> lost;
  for (const auto& [id, started_at] : known_) {
    auto it = live.find(id);
    if (it == live.end()) {
      lost.push_back(Lost{id, absl::InfinitePast()});
    } else if (it->second != started_at) {
      lost.push_back(Lost{id, it->second});
    }
  }
  std::sort(lost.begin(), lost.end(),
            [](const Lost& a, const Lost& b) { return a.gateway_id < b.gateway_id; });
  known_ = std::move(live);
  return lost;
}

}  // namespace switchboard::gateway
