// micro_bench: Google Benchmark micro-benchmarks of the gateway's hot paths
// (see docs/performance.md). Usage: micro_bench --benchmark_min_time=0.05
// [--benchmark_filter=REGEX] [--benchmark_format=json].
#include "bench/micro/micro_gateway.h"
#include "benchmark/benchmark.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  // The fan-out fixture's NATS connection retries a closed port on purpose.
  switchboard::InitLogging("micro_bench", "error");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  switchboard::bench::ReleaseSharedMicroGateways();
  benchmark::Shutdown();
  return 0;
}
