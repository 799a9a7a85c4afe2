#ifndef SWITCHBOARD_GATEWAY_BAN_LIST_H_
#define SWITCHBOARD_GATEWAY_BAN_LIST_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace switchboard::gateway {

// This gateway's cache of the cluster's bans. The bans live in NATS (the
// bans KV bucket, fanout::BanStore), which the gateway watches from startup
// on; a Kick command with ban_until is recorded too, so a ban holds at once.
// Consulted once per Connect. Thread-safe.
class BanList {
 public:
  struct Ban {
    absl::Time until;
    std::string reason;
  };

  // Records that the user is banned until `until`. True when that is news:
  // no ban of the user lasting at least as long was known.
  bool Add(const std::string& user_id, absl::Time until, std::string reason) {
    absl::MutexLock lock(&mu_);
    auto it = bans_.find(user_id);
    if (it != bans_.end() && it->second.until >= until) return false;
    bans_[user_id] = Ban{until, std::move(reason)};
    return true;
  }

  // The ban was lifted (its entry deleted from the bucket).
  void Remove(const std::string& user_id) {
    absl::MutexLock lock(&mu_);
    bans_.erase(user_id);
  }

  // The user's ban, if it is banned at `now`.
  std::optional<Ban> Find(const std::string& user_id, absl::Time now) {
    absl::MutexLock lock(&mu_);
    auto it = bans_.find(user_id);
    if (it == bans_.end()) return std::nullopt;
    if (it->second.until <= now) {
      bans_.erase(it);
      return std::nullopt;
    }
    return it->second;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Ban> bans_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_BAN_LIST_H_
