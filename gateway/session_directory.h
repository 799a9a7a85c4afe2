#ifndef SWITCHBOARD_GATEWAY_SESSION_DIRECTORY_H_
#define SWITCHBOARD_GATEWAY_SESSION_DIRECTORY_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace switchboard::gateway {

class Worker;

// Which connection holds which session id on this gateway, so that a client
// reconnecting with its session id replaces its old connection (tab reload,
// network change) instead of leaving a ghost behind. Touched once per connect
// and close, so one mutex is enough. Thread-safe.
class SessionDirectory {
 public:
  struct Holder {
    std::string user_id;
    std::string connection_id;
    Worker* worker = nullptr;
  };

  // Records that `holder` now holds `session_id`, and returns the previous
  // holder if it was a connection of the same user (to be closed as replaced).
  // A session id held by another user is not taken over: false is returned and
  // the caller must pick a new id.
  bool Claim(const std::string& session_id, const Holder& holder, Holder* replaced) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = holders_.try_emplace(session_id, holder);
    if (inserted) return true;
    if (it->second.user_id != holder.user_id) return false;
    if (replaced != nullptr) *replaced = it->second;
    it->second = holder;
    return true;
  }

  // The holder of `session_id`, if any.
  std::optional<Holder> Find(const std::string& session_id) {
    absl::MutexLock lock(&mu_);
    auto it = holders_.find(session_id);
    if (it == holders_.end()) return std::nullopt;
    return it->second;
  }

  // Forgets `session_id` if `connection_id` still holds it.
  void Release(const std::string& session_id, const std::string& connection_id) {
    absl::MutexLock lock(&mu_);
    auto it = holders_.find(session_id);
    if (it != holders_.end() && it->second.connection_id == connection_id) holders_.erase(it);
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Holder> holders_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_SESSION_DIRECTORY_H_
