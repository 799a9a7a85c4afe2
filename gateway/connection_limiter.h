#ifndef SWITCHBOARD_GATEWAY_CONNECTION_LIMITER_H_
#define SWITCHBOARD_GATEWAY_CONNECTION_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace switchboard::gateway {

// Counts sockets in total and per remote IP, across workers, from accept
// (TLS handshake and HTTP upgrade included) to close; see ConnectionSlot.
// Sockets over the limits still get their upgrade and a 4009 Close, so that a
// browser can tell why, but only `max_refusing` at a time: beyond that they
// are closed at accept. Called once per connection (not per message), so a
// mutex is fine. Thread-safe.
class ConnectionLimiter {
 public:
  static constexpr int kDefaultMaxRefusing = 64;

  ConnectionLimiter(int max_total, int max_per_ip, int max_refusing = kDefaultMaxRefusing)
      : max_total_(max_total), max_per_ip_(max_per_ip), max_refusing_(max_refusing) {}

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

  // Reserves one of the refusal slots (an over-limit socket that is upgraded
  // only to be closed with 4009); false when all are in use.
  bool TryBeginRefusal() {
    absl::MutexLock lock(&mu_);
    if (refusing_ >= max_refusing_) return false;
    ++refusing_;
    return true;
  }

  void EndRefusal() {
    absl::MutexLock lock(&mu_);
    if (refusing_ > 0) --refusing_;
  }

  // Sockets counted now (admitted ones; refusals are not counted here).
  int total() {
    absl::MutexLock lock(&mu_);
    return total_;
  }

 private:
  const int max_total_;
  const int max_per_ip_;
  const int max_refusing_;
  absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  int refusing_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_ip_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_CONNECTION_LIMITER_H_
