#ifndef SWITCHBOARD_BENCH_BENCH_REPORT_H_
#define SWITCHBOARD_BENCH_BENCH_REPORT_H_

#include <cstdint>
#include <map>
#include <string>

#include "bench/delivery_tracker.h"

namespace switchboard::bench {

// Latency percentiles in microseconds.
struct LatencySummary {
  uint64_t count = 0;
  int64_t p50 = 0;
  int64_t p99 = 0;
  int64_t p999 = 0;
  int64_t max = 0;
};

// The outcome of one run, printed as a table and written as JSON.
struct BenchReport {
  std::string scenario;
  std::string format;
  int connections_requested = 0;
  int connections_held = 0;  // Ready (joined) when publishing started.
  int connections_open_at_end = 0;
  int rooms = 0;
  double rate_requested = 0;
  double measured_seconds = 0;
  double publish_rate_achieved = 0;  // Measured publishes sent per second.
  double delivered_per_second = 0;   // Distinct measured deliveries per second.
  double delivery_ratio = 0;         // received / expected.
  DeliveryTracker::Totals totals;
  LatencySummary end_to_end;  // Scheduled send time -> first copy received.
  LatencySummary ack;         // Scheduled send time -> PublishAck.
  std::map<std::string, uint64_t> errors;  // Error codes and close reasons seen.
  // reconnect_storm only.
  int storm_dropped = 0;
  int storm_resumed = 0;
  int storm_not_recovered = 0;
  double storm_resume_seconds = -1;
  // -1 when not sampled.
  double gateway_cpu_percent = -1;
  int64_t gateway_rss_bytes = -1;
  int64_t gateway_threads = -1;
  double loadgen_cpu_percent = -1;
  int64_t loadgen_rss_bytes = -1;

  std::string ToTable() const;
  std::string ToJson() const;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_BENCH_REPORT_H_
