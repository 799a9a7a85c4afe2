#include "control/rpc_metrics.h"

#include "control/grpc_status.h"

namespace switchboard::control {

namespace {

// From 1 ms (validation errors) to 10 s (scatter-gather at its deadline,
// publishes waiting for a slow JetStream).
const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

}  // namespace

RpcMetrics::RpcMetrics(prometheus::Registry& registry)
    : calls_(prometheus::BuildCounter()
                 .Name("switchboard_control_rpcs_total")
                 .Help("Control-plane RPCs finished, by method and gRPC status code")
                 .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("switchboard_control_rpc_duration_seconds")
                   .Help("Control-plane RPC latency (stream lifetime for Watch)")
                   .Register(registry)),
      in_flight_(prometheus::BuildGauge()
                     .Name("switchboard_control_rpcs_in_flight")
                     .Help("Control-plane RPCs started and not yet finished")
                     .Register(registry)) {}

void RpcMetrics::Started(const std::string& method) {
  // prometheus-cpp's Family::Add is thread-safe and returns the existing
  // series for known labels.
  in_flight_.Add({{"method", method}}).Increment();
}

void RpcMetrics::Finished(const std::string& method, grpc::StatusCode code,
                          absl::Duration latency) {
  in_flight_.Add({{"method", method}}).Decrement();
  calls_.Add({{"method", method}, {"code", StatusCodeName(code)}}).Increment();
  latency_.Add({{"method", method}}, Buckets()).Observe(absl::ToDoubleSeconds(latency));
}

}  // namespace switchboard::control
