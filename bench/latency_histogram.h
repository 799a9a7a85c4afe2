#ifndef SWITCHBOARD_BENCH_LATENCY_HISTOGRAM_H_
#define SWITCHBOARD_BENCH_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace switchboard::bench {

// Log-linear histogram of latencies in microseconds: exact below 128 us, then
// 64 sub-buckets per power of two (relative error under 1.6%), so memory stays
// constant however many samples a 10K-connection run records. Not thread-safe.
class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative values (clock skew) count as 0.
  void Record(int64_t micros);

  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  // The smallest bucket upper bound with at least `quantile` of the samples at or
  // below it; 0 when empty. `quantile` in [0, 1].
  int64_t Percentile(double quantile) const;

 private:
  static int BucketOf(int64_t micros);
  static int64_t UpperBoundOf(int bucket);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_LATENCY_HISTOGRAM_H_
