#ifndef SWITCHBOARD_CLIENTS_CPP_PRESENCE_TRACKER_H_
#define SWITCHBOARD_CLIENTS_CPP_PRESENCE_TRACKER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// One room's presence as a member sees it, built from a PresenceSnapshot and
// the PresenceEvents that follow (docs/protocol.md, "Presence"). Gateways
// announce connections; this turns them into users: a user is online while
// any of their connections (tabs, devices, on any gateway) is present, and
// goes offline only when the last one leaves or its gateway is lost.
//
// Snapshots and events travel different paths, so a snapshot may be older
// than events already applied. Call BeginSnapshot() when sending the
// PresenceQuery: connections that leave after that are not brought back by
// the snapshot, and connections that join after it are kept.
//
// Not thread-safe; feed it from one thread.
class PresenceTracker {
 public:
  // A user-level change caused by an event or a snapshot.
  struct Change {
    enum class Kind { kOnline, kOffline };
    Kind kind;
    std::string user_id;
  };

  std::vector<Change> Apply(const switchboard::client::v1::PresenceEvent& event);
  void BeginSnapshot();
  std::vector<Change> ApplySnapshot(const switchboard::client::v1::PresenceSnapshot& snapshot);

  bool IsOnline(const std::string& user_id) const { return users_.contains(user_id); }
  // Connections of `user_id` present now (0 when offline).
  size_t ConnectionsOf(const std::string& user_id) const;
  size_t users() const { return users_.size(); }
  size_t connections() const { return entries_.size(); }
  // Online users, sorted.
  std::vector<std::string> Users() const;

 private:
  // Adds or replaces an entry; kOnline if it is the user's first.
  void Add(const switchboard::client::v1::PresenceInfo& info, std::vector<Change>* changes);
  void Remove(const std::string& connection_id, std::vector<Change>* changes);

  // By connection id.
  absl::flat_hash_map<std::string, switchboard::client::v1::PresenceInfo> entries_;
  // User id -> number of present connections.
  absl::flat_hash_map<std::string, size_t> users_;
  // Since BeginSnapshot: connections that left (the snapshot must not revive
  // them) and that joined (the snapshot must not drop them).
  bool snapshot_pending_ = false;
  absl::flat_hash_set<std::string> left_since_;
  absl::flat_hash_set<std::string> joined_since_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_PRESENCE_TRACKER_H_
