#include "bench/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace switchboard::bench {
namespace {

// The header's stated bound: 64 sub-buckets per octave, relative error < 1.6%.
constexpr double kMaxRelativeError = 1.0 / 64;

// The sample of rank max(1, ceil(q * n)) in sorted order: what Percentile(q)
// approximates from above.
int64_t ExactPercentile(std::vector<int64_t> sorted, double q) {
  std::sort(sorted.begin(), sorted.end());
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

void ExpectWithinBound(const LatencyHistogram& h, const std::vector<int64_t>& samples,
                       double q) {
  const int64_t exact = ExactPercentile(samples, q);
  const int64_t got = h.Percentile(q);
  EXPECT_GE(got, exact) << "q=" << q;
  EXPECT_LE(got, exact + static_cast<int64_t>(exact * kMaxRelativeError)) << "q=" << q;
}

TEST(LatencyHistogramTest, EmptyHistogram) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0);
  for (double q : {0.0, 0.5, 0.99, 0.999, 1.0}) EXPECT_EQ(h.Percentile(q), 0) << q;
}

TEST(LatencyHistogramTest, ExactBelow128) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.max(), 100);
  EXPECT_EQ(h.Percentile(0.0), 1);
  EXPECT_EQ(h.Percentile(0.01), 1);
  EXPECT_EQ(h.Percentile(0.5), 50);
  EXPECT_EQ(h.Percentile(0.99), 99);
  EXPECT_EQ(h.Percentile(1.0), 100);
}

TEST(LatencyHistogramTest, SingleSampleIsReportedExactly) {
  // Bucket upper bounds are capped at the max, so one sample comes back as itself.
  for (int64_t v : {0, 1, 127, 128, 1000, 123456789}) {
    LatencyHistogram h;
    h.Record(v);
    EXPECT_EQ(h.count(), 1u);
    EXPECT_EQ(h.max(), v);
    EXPECT_EQ(h.Percentile(0.5), v) << v;
    EXPECT_EQ(h.Percentile(1.0), v) << v;
  }
}

TEST(LatencyHistogramTest, UniformOneToHundredThousandWithinStatedError) {
  LatencyHistogram h;
  std::vector<int64_t> samples;
  for (int64_t v = 1; v <= 100000; ++v) {
    h.Record(v);
    samples.push_back(v);
  }
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000);
  for (double q : {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}) {
    ExpectWithinBound(h, samples, q);
  }
  EXPECT_EQ(h.Percentile(1.0), 100000);
  // p50 of 1..100000 is 50000; its bucket is [49664, 50175] (512 wide).
  EXPECT_EQ(h.Percentile(0.5), 50175);
}

TEST(LatencyHistogramTest, LogNormalLatenciesWithinStatedError) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(2000.0), 1.5);  // ~2 ms median, long tail.
  LatencyHistogram h;
  std::vector<int64_t> samples;
  for (int i = 0; i < 200000; ++i) {
    const int64_t v = static_cast<int64_t>(dist(rng));
    h.Record(v);
    samples.push_back(v);
  }
  EXPECT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.max(), *std::max_element(samples.begin(), samples.end()));
  for (double q : {0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    ExpectWithinBound(h, samples, q);
  }
  EXPECT_EQ(h.Percentile(1.0), h.max());
}

TEST(LatencyHistogramTest, PercentilesAreMonotonic) {
  LatencyHistogram h;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> dist(0, 5000000);
  for (int i = 0; i < 50000; ++i) h.Record(dist(rng));
  int64_t previous = 0;
  for (int i = 0; i <= 1000; ++i) {
    const int64_t p = h.Percentile(i / 1000.0);
    EXPECT_GE(p, previous) << i;
    previous = p;
  }
  EXPECT_EQ(previous, h.max());
}

TEST(LatencyHistogramTest, NegativeCountsAsZero) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(-1000000);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.Percentile(1.0), 0);
}

TEST(LatencyHistogramTest, MaxIsTheLargestSample) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.Record(100);
  const int64_t big = (int64_t{1} << 40) + 12345;  // ~12.7 days, inside the range.
  h.Record(big);
  h.Record(7);
  EXPECT_EQ(h.count(), 101u);
  EXPECT_EQ(h.max(), big);
  EXPECT_EQ(h.Percentile(0.5), 100);
  EXPECT_EQ(h.Percentile(1.0), big);
}

TEST(LatencyHistogramTest, ValuesPastTheLastOctaveDoNotCrash) {
  LatencyHistogram h;
  h.Record(int64_t{1} << 50);  // Clamped into the last bucket.
  h.Record(INT64_MAX);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.max(), INT64_MAX);
  EXPECT_GT(h.Percentile(1.0), 0);
  EXPECT_LE(h.Percentile(1.0), h.max());
}

}  // namespace
}  // namespace switchboard::bench
