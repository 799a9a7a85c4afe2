#ifndef SWITCHBOARD_GATEWAY_CONNECTION_LIMITER_H_
#define SWITCHBOARD_GATEWAY_CONNECTION_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace switchboard::gateway {

// Counts open connections in total and per remote IP, across workers.
// TryAcquire/Release are called once per connection (not per message), so a
// mutex is fine. Thread-safe.
class ConnectionLimiter {
 public:
  ConnectionLimiter(int max_total, int max_per_ip) : max_total_(max_total), max_per_ip_(max_per_ip) {}

  // Reserves a slot for a connection from `ip`; false when a limit is reached.
  bool TryAcquire(const std::string& ip) {
    absl::MutexLock lock(&mu_);
    if (total_ >= max_total_) return false;
    int& n = per_ip_[ip];
    if (n >= max_per_ip_) {
      if (n == 0) per_ip_.erase(ip);
      return false;
    }
    ++n;
    ++total_;
    return true;
  }

  void Release(const std::string& ip) {
    absl::MutexLock lock(&mu_);
    auto it = per_ip_.find(ip);
    if (it == per_ip_.end()) return;
    if (--it->second <= 0) per_ip_.erase(it);
    --total_;
  }

 private:
  const int max_total_;
  const int max_per_ip_;
  absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_ip_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_CONNECTION_LIMITER_H_
