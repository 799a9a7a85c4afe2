#ifndef SWITCHBOARD_CONTROL_RPC_METRICS_H_
#define SWITCHBOARD_CONTROL_RPC_METRICS_H_

#include <string>

#include <grpcpp/support/status_code_enum.h>

#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace switchboard::control {

// Prometheus metrics of the control plane's RPCs:
//   switchboard_control_rpcs_total{method, code}           calls finished
//   switchboard_control_rpc_duration_seconds{method}       latency histogram
//   switchboard_control_rpcs_in_flight{method}             calls started, not finished
// (streams count as one call each, their duration being the stream's life).
// Thread-safe.
class RpcMetrics {
 public:
  explicit RpcMetrics(prometheus::Registry& registry);

  void Started(const std::string& method);
  void Finished(const std::string& method, grpc::StatusCode code, absl::Duration latency);

 private:
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Gauge>& in_flight_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_RPC_METRICS_H_
