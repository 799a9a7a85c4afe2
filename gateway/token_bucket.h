#ifndef SWITCHBOARD_GATEWAY_TOKEN_BUCKET_H_
#define SWITCHBOARD_GATEWAY_TOKEN_BUCKET_H_

#include <algorithm>
#include <cstdint>

namespace switchboard::gateway {

// A token bucket: `rate` tokens per second up to `burst`. Times are in
// microseconds of a monotonic clock supplied by the caller (the worker's tick
// clock), so it is cheap and testable. Not thread-safe: one per connection.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  // Takes one token if there is one.
  bool TryTake(int64_t now_us) {
    Refill(now_us);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  // Microseconds until a token will be available (0 if one is).
  int64_t WaitMicros(int64_t now_us) {
    Refill(now_us);
    if (tokens_ >= 1 || rate_ <= 0) return 0;
    return static_cast<int64_t>((1 - tokens_) / rate_ * 1e6);
  }

 private:
  void Refill(int64_t now_us) {
    if (last_us_ != 0 && now_us > last_us_) {
      tokens_ = std::min<float>(burst_, tokens_ + (now_us - last_us_) * rate_ / 1e6f);
    }
    last_us_ = now_us;
  }

  float rate_;
  float burst_;
  float tokens_;
  int64_t last_us_ = 0;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_TOKEN_BUCKET_H_
