#ifndef SWITCHBOARD_BENCH_LOAD_GENERATOR_H_
#define SWITCHBOARD_BENCH_LOAD_GENERATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "absl/status/statusor.h"
#include "bench/bench_connection.h"
#include "bench/bench_report.h"
#include "bench/delivery_tracker.h"
#include "bench/latency_histogram.h"
#include "bench/load_options.h"
#include "bench/presence_churn.h"
#include "bench/process_stats.h"

namespace switchboard::bench {

// Runs one scenario against a gateway: connects and joins every connection
// (ramped), publishes open-loop at the scheduled rate for warmup + duration,
// drains, and reports. Each payload carries its scheduled send time, so latency
// is measured from when a message *should* have gone out (no coordinated
// omission). Single-threaded: all connections share one io_context driven by
// Run(), so keep an eye on the loadgen CPU line of the report.
class LoadGenerator final : public ConnectionListener {
 public:
  explicit LoadGenerator(LoadOptions options);
  ~LoadGenerator() override;

  // Blocks for about connect + warmup + duration + drain. InvalidArgument for bad
  // options, Unavailable when no connection (or the publisher) could connect.
  absl::StatusOr<BenchReport> Run();

  void OnFrame(BenchConnection& connection, const client::v1::ServerFrame& frame,
               int64_t received_ns) override;
  void OnClosed(BenchConnection& connection, absl::string_view reason) override;
  void OnUpgraded(BenchConnection& connection) override;
  void OnRawMessage(BenchConnection& connection, absl::string_view payload,
                    int64_t received_ns) override;

 private:
  enum class ConnState { kIdle, kConnecting, kReady, kFailed };
  struct PublishRef {
    int room;
    uint32_t seq;
  };

  absl::Status Setup();
  absl::Status ConnectAll();
  void PublishDue(int64_t now_ns);
  void Publish(int64_t scheduled_ns);
  void StartStorm(int64_t now_ns);
  void ReconnectDue(int64_t now_ns);
  void SendJoin(int index);
  void SendLeave(int index);
  void ChurnDue(int64_t now_ns);
  void MarkReady(int index);
  void OnMessage(int index, const client::v1::Message& message, int64_t received_ns);
  // A bench payload (scheduled time, room, sequence) arrived at `index`.
  void OnPayload(int index, absl::string_view data, int64_t received_ns);
  void CountError(std::string what);
  BenchReport BuildReport(const std::optional<ProcessStats::Sample>& gateway_before,
                          const std::optional<ProcessStats::Sample>& gateway_after,
                          const ProcessStats::Sample& self_before,
                          const ProcessStats::Sample& self_after, double measured_seconds);
  bool IsReceiver(int index) const { return index < options_.connections; }
  bool raw() const { return options_.format == WireFormat::kRaw; }

  const LoadOptions options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::string run_id_;
  int rooms_ = 0;
  // Connections [0, connections) receive; index `connections` is the separate
  // publisher when the scenario has one.
  std::vector<std::unique_ptr<BenchConnection>> connections_;
  std::vector<ConnState> state_;
  std::vector<int> room_of_;
  std::vector<std::string> room_names_;
  std::vector<bool> joined_now_;
  std::vector<uint64_t> last_offset_;
  std::vector<bool> resuming_;
  std::vector<int> publishers_;
  std::unique_ptr<DeliveryTracker> tracker_;
  std::vector<PublishRef> publishes_;  // By ClientFrame.id - 1.
  LatencyHistogram end_to_end_;
  LatencyHistogram ack_;
  std::map<std::string, uint64_t> errors_;
  int connecting_ = 0;
  uint64_t presence_events_ = 0;
  int64_t last_measured_delivery_ns_ = 0;

  // presence_churn.
  std::unique_ptr<PresenceChurn> churn_;
  std::vector<PresenceChurn::Op> churn_ops_;

  // Publishing schedule (ns since the Unix epoch).
  int64_t start_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t measure_end_ns_ = 0;
  uint64_t next_publish_ = 0;
  uint64_t measured_publishes_ = 0;

  // reconnect_storm.
  int64_t storm_at_ns_ = 0;
  int64_t storm_started_ns_ = 0;
  std::vector<std::pair<int64_t, int>> reconnect_schedule_;
  size_t next_reconnect_ = 0;
  int storm_dropped_ = 0;
  int storm_resumed_ = 0;
  int storm_not_recovered_ = 0;
  int64_t storm_last_resume_ns_ = 0;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_LOAD_GENERATOR_H_
