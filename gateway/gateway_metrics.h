#ifndef SWITCHBOARD_GATEWAY_GATEWAY_METRICS_H_
#define SWITCHBOARD_GATEWAY_GATEWAY_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "gateway/worker_stats.h"
#include "prometheus/collectable.h"

namespace switchboard::gateway {

// Index of a close code in WorkerStats::closes (the last slot is "other").
size_t CloseCodeSlot(uint16_t code);

// Exposes the sum of every worker's WorkerStats as Prometheus metrics
// (docs/operations.md lists them). Collect() runs on the admin thread and only
// reads; the workers never wait for it.
class GatewayMetrics : public prometheus::Collectable {
 public:
  // Catch-up reads of members joining or resuming persisted rooms: served
  // from the hub's room windows, or read from the stream.
  struct CatchUpReads {
    uint64_t window = 0;
    uint64_t stream = 0;
  };
  // `bus_received` reads how many NATS messages the hub received;
  // `catchup_reads` the hub's catch-up counters (may be empty).
  GatewayMetrics(std::vector<const WorkerStats*> workers, std::function<uint64_t()> bus_received,
                 std::function<CatchUpReads()> catchup_reads = nullptr);

  std::vector<prometheus::MetricFamily> Collect() const override;

  // Sum over workers, for readiness and tests.
  int64_t connections() const;

 private:
  std::vector<const WorkerStats*> workers_;
  std::function<uint64_t()> bus_received_;
  std::function<CatchUpReads()> catchup_reads_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_GATEWAY_METRICS_H_
