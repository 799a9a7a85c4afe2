#ifndef SWITCHBOARD_BENCH_MICRO_MICRO_GATEWAY_H_
#define SWITCHBOARD_BENCH_MICRO_MICRO_GATEWAY_H_

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/nats_connection.h"
#include "fanout/hub.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/connection.h"
#include "gateway/connection_limiter.h"
#include "gateway/connection_slot.h"
#include "gateway/gateway_context.h"
#include "gateway/gateway_options.h"
#include "gateway/worker.h"
#include "tests/testing/nats_server.h"

namespace switchboard::bench {

// One gateway worker without the gateway around it, so micro-benchmarks can
// drive the real delivery path (LocalRooms -> Connection::Send -> queue ->
// gather write) without a client or a NATS server:
//   - the Worker is never Start()ed: its io_context runs on the caller's
//     thread in RunPending(), which makes the caller the worker thread;
//   - the Hub sits on a core-NATS nats-server of its own (tests/testing
//     NatsServer, no JetStream), which only sees the first member of each
//     room subscribe; without a nats-server binary it falls back to a
//     connection that never connects, where each new room waits for the
//     hub's 2 s flush timeout;
//   - each Connection owns the server end of a loopback TCP pair; the client
//     ends are read and discarded by DrainPeers().
// No history reader: only ephemeral ("eph:") rooms can be joined, which join
// at once and leave every member live.
//
// Not thread-safe: everything runs on the thread that created it.
class MicroGateway {
 public:
  // `connections` loopback pairs, all speaking `format`. Raises the
  // RLIMIT_NOFILE soft limit to the hard limit (two descriptors per pair).
  static absl::StatusOr<std::unique_ptr<MicroGateway>> Create(int connections,
                                                              gateway::FrameFormat format);
  ~MicroGateway();
  MicroGateway(const MicroGateway&) = delete;
  MicroGateway& operator=(const MicroGateway&) = delete;

  int size() const { return static_cast<int>(connections_.size()); }
  gateway::Connection& connection(int i) { return *connections_[i]; }
  gateway::Worker& worker() { return *worker_; }
  gateway::LocalRooms& rooms() { return worker_->rooms(); }

  // Joins connections [first, first + count) to `room` (an "eph:" room).
  void JoinAll(const std::string& room, int first, int count);
  // An "eph:" room whose members are connections [0, members), joined on
  // first use; `members` is at most size() - 1, so the last connection is in
  // none of these rooms.
  std::string RoomOfSize(int members);
  // The offset of the last event a benchmark delivered to `room` (0 if
  // none): members' cursors keep it, so the next event must follow it.
  uint64_t LastOffset(const std::string& room) const;
  void SetLastOffset(const std::string& room, uint64_t offset);
  // Runs whatever the worker has posted (the end-of-pass flush, which makes
  // one gather write per connection with queued frames).
  void RunPending();
  // Reads and discards what connections [first, first + count) wrote;
  // returns the bytes. One read syscall per connection at least: drain only
  // the ones that were sent to.
  size_t DrainPeers(int first, int count);
  // RunPending() then DrainPeers(first, count).
  size_t FlushAndDrain(int first, int count);

 private:
  MicroGateway() = default;
  absl::Status Init(int connections, gateway::FrameFormat format);

  gateway::GatewayOptions options_;
  // No limits: the benchmarks open exactly the connections they need.
  gateway::ConnectionLimiter limiter_{INT_MAX, INT_MAX};
  gateway::GatewayContext ctx_;
  std::unique_ptr<testing::NatsServer> nats_server_;
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<gateway::Worker> worker_;
  std::unique_ptr<fanout::Hub> hub_;
  // Client ends of the pairs, on their own io_context (never run).
  boost::asio::io_context peer_io_;
  std::vector<boost::asio::ip::tcp::socket> peers_;
  std::vector<std::shared_ptr<gateway::Connection>> connections_;
  std::vector<char> drain_buffer_;
  absl::flat_hash_map<std::string, uint64_t> last_offsets_;
};

// Connections in each shared gateway: rooms of up to 1000 members plus one
// connection outside them.
inline constexpr int kSharedGatewayConnections = 1001;

// One MicroGateway per format for the whole benchmark process, created on
// first use (a benchmark function runs several times while Google Benchmark
// sizes its iterations; setting up 1001 loopback pairs each time would
// dominate). Same thread rules as MicroGateway.
absl::StatusOr<MicroGateway*> SharedMicroGateway(gateway::FrameFormat format);
// Destroys the shared gateways (call before main returns).
void ReleaseSharedMicroGateways();

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_MICRO_MICRO_GATEWAY_H_
