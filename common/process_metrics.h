#ifndef SWITCHBOARD_COMMON_PROCESS_METRICS_H_
#define SWITCHBOARD_COMMON_PROCESS_METRICS_H_

#include <memory>
#include <string>

#include "prometheus/registry.h"

namespace switchboard {

// Metrics every Switchboard process exports: switchboard_build_info{process,id},
// switchboard_nats_connected (0/1) and switchboard_nats_disconnects_total.
// The NATS ones follow NatsConnection's state listener. Thread-safe.
class ProcessMetrics {
 public:
  ProcessMetrics(prometheus::Registry& registry, const std::string& process, const std::string& id);

  // Called from NatsConnection's state listener.
  void SetNatsConnected(bool connected);

 private:
  prometheus::Gauge& nats_connected_;
  prometheus::Counter& nats_disconnects_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_PROCESS_METRICS_H_
