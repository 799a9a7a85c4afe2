#ifndef SWITCHBOARD_CLIENTS_CPP_BACKOFF_H_
#define SWITCHBOARD_CLIENTS_CPP_BACKOFF_H_

#include <cstdint>

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace switchboard {
namespace client {

// Exponential backoff with full jitter: the n-th delay (n = 0, 1, ...) is drawn
// uniformly from [0, min(cap, base * 2^n)]. Full jitter spreads the reconnects
// of many clients dropped at once (a gateway restart) over the whole window
// instead of letting them arrive in synchronized waves.
//
// Not thread-safe: owned by one thread (the client's I/O thread).
class Backoff {
 public:
  Backoff(absl::Duration base, absl::Duration cap);

  // The next delay to wait; advances the attempt count.
  absl::Duration NextDelay();

  // The ceiling NextDelay() would draw under now (for logs and tests).
  absl::Duration CurrentCeiling() const;

  // Back to the first attempt (after a successful connection).
  void Reset() { attempts_ = 0; }

  int attempts() const { return attempts_; }

 private:
  absl::Duration base_;
  absl::Duration cap_;
  int attempts_ = 0;
  absl::BitGen bitgen_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_BACKOFF_H_
