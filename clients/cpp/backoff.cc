#include "clients/cpp/backoff.h"

#include <algorithm>

#include "absl/random/distributions.h"

namespace switchboard {
namespace client {

Backoff::Backoff(absl::Duration base, absl::Duration cap)
    : base_(std::max(base, absl::ZeroDuration())),
      cap_(std::max(cap, absl::ZeroDuration())) {}

absl::Duration Backoff::CurrentCeiling() const {
  absl::Duration ceiling = std::min(base_, cap_);
  // Doubling stops at the cap, so the loop is short and cannot overflow.
  for (int i = 0; i < attempts_ && ceiling < cap_; ++i) {
    ceiling = std::min(ceiling * 2, cap_);
  }
  return ceiling;
}

absl::Duration Backoff::NextDelay() {
  int64_t ceiling_ns = absl::ToInt64Nanoseconds(CurrentCeiling());
  ++attempts_;
  if (ceiling_ns <= 0) return absl::ZeroDuration();
  return absl::Nanoseconds(
      absl::Uniform<int64_t>(absl::IntervalClosed, bitgen_, 0, ceiling_ns));
}

}  // namespace client
}  // namespace switchboard
