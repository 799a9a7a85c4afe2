#include "clients/cpp/presence_tracker.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"

namespace switchboard {
namespace client {

namespace cv1 = switchboard::client::v1;

void PresenceTracker::Add(const cv1::PresenceInfo& info, std::vector<Change>* changes) {
  auto [it, inserted] = entries_.insert_or_assign(info.connection_id(), info);
  if (!inserted) return;  // a repeated JOIN (e.g. re-announced): same entry
  if (users_[info.user_id()]++ == 0) changes->push_back({Change::Kind::kOnline, info.user_id()});
}

void PresenceTracker::Remove(const std::string& connection_id, std::vector<Change>* changes) {
  auto it = entries_.find(connection_id);
  if (it == entries_.end()) return;
  const std::string user = it->second.user_id();
  entries_.erase(it);
  auto u = users_.find(user);
  if (u != users_.end() && --u->second == 0) {
    users_.erase(u);
    changes->push_back({Change::Kind::kOffline, user});
  }
}

std::vector<PresenceTracker::Change> PresenceTracker::Apply(const cv1::PresenceEvent& event) {
  std::vector<Change> changes;
  const cv1::PresenceInfo& info = event.info();
  switch (event.change()) {
    case cv1::PRESENCE_CHANGE_JOIN:
      if (info.connection_id().empty()) break;
      Add(info, &changes);
      if (snapshot_pending_) {
        joined_since_.insert(info.connection_id());
        left_since_.erase(info.connection_id());
      }
      break;
    case cv1::PRESENCE_CHANGE_LEAVE:
      Remove(info.connection_id(), &changes);
      if (snapshot_pending_) {
        left_since_.insert(info.connection_id());
        joined_since_.erase(info.connection_id());
      }
      break;
    case cv1::PRESENCE_CHANGE_GATEWAY_LOST: {
      // With joined_at set the gateway restarted then: entries from its new
      // life stay.
      const bool restarted = info.has_joined_at();
      std::vector<std::string> gone;
      for (const auto& [id, entry] : entries_) {
        if (entry.gateway_id() != info.gateway_id()) continue;
        if (restarted && !(entry.joined_at() < info.joined_at())) continue;
        gone.push_back(id);
      }
      std::sort(gone.begin(), gone.end());
      for (const std::string& id : gone) {
        Remove(id, &changes);
        if (snapshot_pending_) left_since_.insert(id);
      }
      break;
    }
    default:
      break;
  }
  return changes;
}

void PresenceTracker::BeginSnapshot() {
  snapshot_pending_ = true;
  left_since_.clear();
  joined_since_.clear();
}

std::vector<PresenceTracker::Change> PresenceTracker::ApplySnapshot(
    const cv1::PresenceSnapshot& snapshot) {
  std::vector<Change> changes;
  absl::flat_hash_set<std::string> in_snapshot;
  for (const cv1::PresenceInfo& info : snapshot.members()) {
    in_snapshot.insert(info.connection_id());
    if (left_since_.contains(info.connection_id())) continue;
    Add(info, &changes);
  }
  // What the snapshot no longer lists is gone, unless it joined after the
  // query was sent. A snapshot capped by its limit lists only part of the
  // room: then nothing is removed.
  if (static_cast<uint64_t>(snapshot.members_size()) >= snapshot.connections()) {
    std::vector<std::string> gone;
    for (const auto& [id, entry] : entries_) {
      if (!in_snapshot.contains(id) && !joined_since_.contains(id)) gone.push_back(id);
    }
    std::sort(gone.begin(), gone.end());
    for (const std::string& id : gone) Remove(id, &changes);
  }
  snapshot_pending_ = false;
  left_since_.clear();
  joined_since_.clear();
  return changes;
}

size_t PresenceTracker::ConnectionsOf(const std::string& user_id) const {
  auto it = users_.find(user_id);
  return it == users_.end() ? 0 : it->second;
}

std::vector<std::string> PresenceTracker::Users() const {
  std::vector<std::string> out;
  for (const auto& [user, n] : users_) out.push_back(user);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace client
}  // namespace switchboard
