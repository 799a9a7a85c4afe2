#include "gateway/gateway_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/auth/auth_failure.h"
#include "prometheus/metric_family.h"

namespace switchboard::gateway {
namespace {

constexpr uint16_t kCloseCodes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 4001, 4002,
                                    4003, 4004, 4005, 4006, 4007, 4008, 4009, 4010, 4011};
constexpr size_t kOtherCloseSlot = sizeof(kCloseCodes) / sizeof(kCloseCodes[0]);

// Error codes of client.v1.ErrorCode with a name, for the errors_total label.
constexpr const char* kErrorNames[] = {
    "unspecified",     "bad_request",       "invalid_room",     "not_connected",
    "unauthenticated", "permission_denied", "not_joined",       "already_joined",
    "too_many_rooms",  "rate_limited",      "payload_too_large", "unavailable",
    "unsupported",     "internal"};

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void AddSample(prometheus::MetricFamily& f, double value,
               std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Gauge) {
    m.gauge.value = value;
  } else {
    m.counter.value = value;
  }
  f.metric.push_back(std::move(m));
}

template <typename Get>
uint64_t Sum(const std::vector<const WorkerStats*>& workers, Get get) {
  uint64_t total = 0;
  for (const WorkerStats* w : workers) total += get(*w);
  return total;
}

template <size_t N>
prometheus::MetricFamily HistogramFamily(const char* name, const char* help,
                                         const std::vector<const WorkerStats*>& workers,
                                         const LocalHistogram<N> WorkerStats::*member) {
  prometheus::MetricFamily f = Family(name, help, prometheus::MetricType::Histogram);
  prometheus::ClientMetric m;
  const auto& bounds = (workers.front()->*member).bounds();
  uint64_t cumulative = 0;
  double sum = 0;
  for (size_t i = 0; i <= N; ++i) {
    for (const WorkerStats* w : workers) cumulative += (w->*member).bucket(i);
    prometheus::ClientMetric::Bucket b;
    b.cumulative_count = cumulative;
    b.upper_bound = i < N ? bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back(b);
  }
  for (const WorkerStats* w : workers) sum += (w->*member).sum();
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = sum;
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

const char* MessageClassLabel(MessageClass c) {
  switch (c) {
    case MessageClass::kPersisted:
      return "persisted";
    case MessageClass::kEphemeral:
      return "ephemeral";
    case MessageClass::kPresence:
      return "presence";
    case MessageClass::kControl:
      return "control";
  }
  return "unknown";
}

size_t CloseCodeSlot(uint16_t code) {
  for (size_t i = 0; i < kOtherCloseSlot; ++i) {
    if (kCloseCodes[i] == code) return i;
  }
  return kOtherCloseSlot;
}

GatewayMetrics::GatewayMetrics(std::vector<const WorkerStats*> workers,
                               std::function<uint64_t()> bus_received,
                               std::function<CatchUpReads()> catchup_reads)
    : workers_(std::move(workers)),
      bus_received_(std::move(bus_received)),
      catchup_reads_(std::move(catchup_reads)) {}

int64_t GatewayMetrics::connections() const {
  int64_t total = 0;
  for (const WorkerStats* w : workers_) total += w->connections.load(std::memory_order_relaxed);
  return total;
}

std::vector<prometheus::MetricFamily> GatewayMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  if (workers_.empty()) return out;

  auto gauge = Family("switchboard_gateway_connections", "WebSocket connections open now",
                      MetricType::Gauge);
  AddSample(gauge, static_cast<double>(connections()));
  out.push_back(std::move(gauge));

  auto counter = [&](const char* name, const char* help, auto get) {
    auto f = Family(name, help, MetricType::Counter);
    AddSample(f, static_cast<double>(Sum(workers_, get)));
    out.push_back(std::move(f));
  };
  counter("switchboard_gateway_connections_opened_total", "WebSocket connections accepted",
          [](const WorkerStats& w) { return w.connections_opened.Get(); });
  counter("switchboard_gateway_joins_total", "Successful room joins",
          [](const WorkerStats& w) { return w.joins.Get(); });
  counter("switchboard_gateway_slow_consumer_closes_total",
          "Connections closed because their send queue overflowed with lossless messages",
          [](const WorkerStats& w) { return w.slow_consumer_closes.Get(); });
  counter("switchboard_gateway_accept_refusals_total",
          "TCP connections closed at accept, unread: over the connection limits while 64 "
          "others were already being refused with 4009",
          [](const WorkerStats& w) { return w.accept_refusals.Get(); });
  if (bus_received_) {
    auto f = Family("switchboard_gateway_bus_messages_received_total",
                    "NATS messages received for rooms with local members (interest-managed)",
                    MetricType::Counter);
    AddSample(f, static_cast<double>(bus_received_()));
    out.push_back(std::move(f));
  }
  if (catchup_reads_) {
    const CatchUpReads reads = catchup_reads_();
    auto f = Family("switchboard_gateway_catchup_reads_total",
                    "Catch-up reads of joining or resuming members, by source: the room's window "
                    "of recent messages in memory, or the stream (JetStream direct gets)",
                    MetricType::Counter);
    AddSample(f, static_cast<double>(reads.window), {{"source", "window"}});
    AddSample(f, static_cast<double>(reads.stream), {{"source", "stream"}});
    out.push_back(std::move(f));
  }
  counter("switchboard_gateway_write_syscalls_total", "Socket write calls (gather writes)",
          [](const WorkerStats& w) { return w.write_syscalls.Get(); });

  auto per_class = [&](const char* name, const char* help,
                       const std::array<LocalCounter, kMessageClassCount> WorkerStats::*member) {
    auto f = Family(name, help, MetricType::Counter);
    for (int c = 0; c < kMessageClassCount; ++c) {
      AddSample(f,
                static_cast<double>(Sum(workers_, [&](const WorkerStats& w) {
                  return (w.*member)[c].Get();
                })),
                {{"class", MessageClassLabel(static_cast<MessageClass>(c))}});
    }
    out.push_back(std::move(f));
  };
  per_class("switchboard_gateway_messages_in_total", "Frames received from clients, by class",
            &WorkerStats::messages_in);
  per_class("switchboard_gateway_bytes_in_total", "Payload bytes received from clients, by class",
            &WorkerStats::bytes_in);
  per_class("switchboard_gateway_messages_out_total", "Frames queued to clients, by class",
            &WorkerStats::messages_out);
  per_class("switchboard_gateway_bytes_out_total", "Frame bytes queued to clients, by class",
            &WorkerStats::bytes_out);
  per_class("switchboard_gateway_drops_total",
            "Lossy frames dropped because a client's send queue was full, by class",
            &WorkerStats::drops);

  auto auth = Family("switchboard_gateway_auth_failures_total", "Refused tokens, by reason",
                     MetricType::Counter);
  for (int r = 0; r < 7; ++r) {
    AddSample(auth,
              static_cast<double>(
                  Sum(workers_, [&](const WorkerStats& w) { return w.auth_failures[r].Get(); })),
              {{"reason", std::string(auth::AuthFailureReasonLabel(
                              static_cast<auth::AuthFailureReason>(r)))}});
  }
  out.push_back(std::move(auth));

  auto errors = Family("switchboard_gateway_errors_total", "Error frames sent, by code",
                       MetricType::Counter);
  for (size_t e = 1; e < sizeof(kErrorNames) / sizeof(kErrorNames[0]); ++e) {
    AddSample(errors,
              static_cast<double>(
                  Sum(workers_, [&](const WorkerStats& w) { return w.errors[e].Get(); })),
              {{"code", kErrorNames[e]}});
  }
  out.push_back(std::move(errors));

  auto tls = Family("switchboard_gateway_tls_handshake_failures_total",
                    "TLS handshakes on the WebSocket port that did not complete, by reason",
                    MetricType::Counter);
  constexpr const char* kTlsFailureNames[kTlsHandshakeFailureCount] = {"protocol", "closed",
                                                                       "timeout"};
  for (int r = 0; r < kTlsHandshakeFailureCount; ++r) {
    AddSample(tls,
              static_cast<double>(Sum(
                  workers_, [&](const WorkerStats& w) { return w.tls_handshake_failures[r].Get(); })),
              {{"reason", kTlsFailureNames[r]}});
  }
  out.push_back(std::move(tls));

  auto closes = Family("switchboard_gateway_closes_total",
                       "Connections closed by the gateway, by WebSocket close code",
                       MetricType::Counter);
  for (size_t i = 0; i <= kOtherCloseSlot; ++i) {
    AddSample(closes,
              static_cast<double>(Sum(workers_, [&](const WorkerStats& w) { return w.closes[i].Get(); })),
              {{"code", i < kOtherCloseSlot ? absl::StrCat(kCloseCodes[i]) : "other"}});
  }
  out.push_back(std::move(closes));

  out.push_back(HistogramFamily("switchboard_gateway_queue_bytes",
                                "Bytes waiting in a connection's send queue, sampled per flush",
                                workers_, &WorkerStats::queue_bytes));
  out.push_back(HistogramFamily(
      "switchboard_gateway_delivery_latency_seconds",
      "From publish at the origin to the frame being queued to the socket (once per room event "
      "and worker, not per recipient)",
      workers_, &WorkerStats::delivery_latency));
  return out;
}

}  // namespace switchboard::gateway
