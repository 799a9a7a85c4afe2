#ifndef SWITCHBOARD_GATEWAY_BAN_LIST_H_
#define SWITCHBOARD_GATEWAY_BAN_LIST_H_

#include <algorithm>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace switchboard::gateway {

// Users a KickUser with ban_until refused until a time, on this gateway
// (every gateway gets the kick, so every gateway holds the ban). Consulted
// once per Connect. Thread-safe.
class BanList {
 public:
  void Ban(const std::string& user_id, absl::Time until) {
    absl::MutexLock lock(&mu_);
    absl::Time& t = until_[user_id];
    t = std::max(t, until);
  }

  // When the user's ban ends, if it is banned at `now`.
  std::optional<absl::Time> BannedUntil(const std::string& user_id, absl::Time now) {
    absl::MutexLock lock(&mu_);
    auto it = until_.find(user_id);
    if (it == until_.end()) return std::nullopt;
    if (it->second <= now) {
      until_.erase(it);
      return std::nullopt;
    }
    return it->second;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> until_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_BAN_LIST_H_
