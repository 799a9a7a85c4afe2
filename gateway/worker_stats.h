#ifndef SWITCHBOARD_GATEWAY_WORKER_STATS_H_
#define SWITCHBOARD_GATEWAY_WORKER_STATS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace switchboard::gateway {

// Message classes, for per-class counters and queue policy.
enum class MessageClass : uint8_t {
  kPersisted = 0,  // room messages of persisted rooms: lossless
  kEphemeral = 1,  // ephemeral-room messages, typing, cursors, custom: lossy
  kPresence = 2,   // presence join/leave events: lossy
  kControl = 3,    // replies, errors, pings, going-away: lossless
};
inline constexpr int kMessageClassCount = 4;
const char* MessageClassLabel(MessageClass c);

// A counter written by one thread (its worker) and read by the scrape thread.
// A relaxed load+store is a plain move on x86: no locked instruction on the
// hot path, and the reader sees a recent value.
class LocalCounter {
 public:
  void Add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A fixed-bucket histogram with the same single-writer discipline.
template <size_t N>
class LocalHistogram {
 public:
  explicit LocalHistogram(const std::array<double, N>& bounds) : bounds_(bounds) {}
  void Observe(double v) {
    size_t i = 0;
    while (i < N && v > bounds_[i]) ++i;
    buckets_[i].Add();
    // Sum in micro-units so that it stays an integer.
    sum_micros_.Add(static_cast<uint64_t>(v * 1e6));
  }
  const std::array<double, N>& bounds() const { return bounds_; }
  uint64_t bucket(size_t i) const { return buckets_[i].Get(); }  // i <= N (N = +Inf)
  double sum() const { return static_cast<double>(sum_micros_.Get()) / 1e6; }

 private:
  std::array<double, N> bounds_;
  std::array<LocalCounter, N + 1> buckets_;
  LocalCounter sum_micros_;
};

// Why a TLS handshake on the WebSocket port did not complete.
enum class TlsHandshakeFailure : uint8_t {
  kProtocol = 0,  // TLS error: bad or unsupported hello, plain HTTP, alert
  kClosed = 1,    // the peer left mid-handshake (port scans, TCP health checks)
  kTimeout = 2,   // not done within the handshake timeout
};
inline constexpr int kTlsHandshakeFailureCount = 3;

inline constexpr std::array<double, 14> kLatencyBounds = {
    0.0005, 0.001, 0.002, 0.004, 0.008, 0.012, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
inline constexpr std::array<double, 10> kQueueBytesBounds = {
    0, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};

// Counters of one worker. Only that worker's thread writes them (auth failures
// included: verification runs on the worker); GatewayMetrics sums all workers
// at scrape time.
struct WorkerStats {
  LocalCounter connections_opened;
  std::atomic<int64_t> connections{0};  // +1/-1 by the worker; read by readiness too
  LocalCounter joins;
  std::array<LocalCounter, kMessageClassCount> messages_in;
  std::array<LocalCounter, kMessageClassCount> bytes_in;
  std::array<LocalCounter, kMessageClassCount> messages_out;
  std::array<LocalCounter, kMessageClassCount> bytes_out;
  std::array<LocalCounter, kMessageClassCount> drops;
  LocalCounter slow_consumer_closes;
  std::array<LocalCounter, 7> auth_failures;  // by AuthFailureReason
  std::array<LocalCounter, 16> errors;        // by client ErrorCode value (0-15)
  std::array<LocalCounter, 24> closes;        // by close-code slot, see CloseCodeSlot()
  LocalCounter write_syscalls;
  // Sockets closed at accept: over the connection limits, refusals all busy.
  LocalCounter accept_refusals;
  std::array<LocalCounter, kTlsHandshakeFailureCount> tls_handshake_failures;
  LocalHistogram<kQueueBytesBounds.size()> queue_bytes{kQueueBytesBounds};
  LocalHistogram<kLatencyBounds.size()> delivery_latency{kLatencyBounds};
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_WORKER_STATS_H_
