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

// presence_churn: measured Join/Leave operations and their latencies.
struct ChurnSummary {
  double joins_requested_per_second = 0;
  uint64_t joins = 0;         // Join requests sent
  uint64_t joined = 0;        // ... answered with Joined
  uint64_t join_errors = 0;   // ... refused or lost with their connection
  uint64_t leaves = 0;        // Leave requests sent
  uint64_t left = 0;          // ... answered with Left
  uint64_t leave_errors = 0;  // ... refused or lost with their connection
  uint64_t skipped = 0;       // not sent: the previous one was unanswered
  uint64_t unanswered = 0;    // sent, no answer by the end of the drain
  double joins_per_second = 0;  // Joined answers per second of the window
  LatencySummary join_latency;   // Scheduled time -> Joined.
  LatencySummary leave_latency;  // Scheduled time -> Left.
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
  // Distinct measured deliveries per second, over the measured window or
  // until the last of them arrived if that was later (a backlog drained
  // after the window does not count as throughput).
  double delivered_per_second = 0;
  double delivery_ratio = 0;         // received / expected.
  DeliveryTracker::Totals totals;
  LatencySummary end_to_end;  // Scheduled send time -> first copy received.
  LatencySummary ack;         // Scheduled send time -> PublishAck.
  std::map<std::string, uint64_t> errors;  // Error codes and close reasons seen.
  // PresenceEvent frames received during the measured window, any scenario.
  uint64_t presence_events = 0;
  // presence_churn only.
  bool has_churn = false;
  ChurnSummary churn;
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
