#include "bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace switchboard::bench {
namespace {

constexpr int kSubBits = 6;                // 64 sub-buckets per octave.
constexpr int kLinear = 2 << kSubBits;     // Values below 128 get one bucket each.
constexpr int kOctaves = 40;               // Up to ~2^46 us: more than any run lasts.

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kLinear + kOctaves * (1 << kSubBits), 0) {}

int LatencyHistogram::BucketOf(int64_t micros) {
  if (micros < kLinear) return static_cast<int>(micros);
  const int msb = 63 - __builtin_clzll(static_cast<uint64_t>(micros));  // >= kSubBits + 1.
  const int octave = msb - (kSubBits + 1);
  const int sub = static_cast<int>((micros >> (msb - kSubBits)) & ((1 << kSubBits) - 1));
  return kLinear + octave * (1 << kSubBits) + sub;
}

int64_t LatencyHistogram::UpperBoundOf(int bucket) {
  if (bucket < kLinear) return bucket;
  const int octave = (bucket - kLinear) >> kSubBits;
  const int sub = (bucket - kLinear) & ((1 << kSubBits) - 1);
  const int msb = octave + kSubBits + 1;
  const int64_t base = int64_t{1} << msb;
  const int64_t width = int64_t{1} << (msb - kSubBits);
  return base + (sub + 1) * width - 1;
}

void LatencyHistogram::Record(int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  const int bucket = std::min<int>(BucketOf(micros), static_cast<int>(buckets_.size()) - 1);
  ++buckets_[bucket];
  ++count_;
  max_ = std::max(max_, micros);
}

int64_t LatencyHistogram::Percentile(double quantile) const {
  if (count_ == 0) return 0;
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(quantile * count_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(UpperBoundOf(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace switchboard::bench
