#include "common/process_metrics.h"

#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace switchboard {

ProcessMetrics::ProcessMetrics(prometheus::Registry& registry, const std::string& process,
                               const std::string& id)
    : nats_connected_(prometheus::BuildGauge()
                          .Name("switchboard_nats_connected")
                          .Help("1 while connected to NATS, else 0")
                          .Register(registry)
                          .Add({})),
      nats_disconnects_(prometheus::BuildCounter()
                            .Name("switchboard_nats_disconnects_total")
                            .Help("Times the NATS connection was lost")
                            .Register(registry)
                            .Add({})) {
  prometheus::BuildGauge()
      .Name("switchboard_build_info")
      .Help("Always 1; labels name the process kind and its id")
      .Register(registry)
      .Add({{"process", process}, {"id", id}})
      .Set(1);
}

void ProcessMetrics::SetNatsConnected(bool connected) {
  nats_connected_.Set(connected ? 1 : 0);
  if (!connected) nats_disconnects_.Increment();
}

}  // namespace switchboard
