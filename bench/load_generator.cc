#include "bench/load_generator.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "gateway/auth/claims.h"
#include "gateway/auth/key_config.h"
#include "gateway/auth/token_signer.h"

namespace switchboard::bench {
namespace {

namespace asio = boost::asio;
namespace pb = client::v1;

// Join requests use ids with this bit set (| connection index), leaves the
// next bit; publishes use 1, 2, 3... so replies can be told apart by id alone.
constexpr uint64_t kJoinIdBit = uint64_t{1} << 62;
constexpr uint64_t kLeaveIdBit = uint64_t{1} << 61;
constexpr int kPayloadHeader = 16;  // Scheduled ns (8), room (4), seq (4).

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* ScenarioName(Scenario s) {
  switch (s) {
    case Scenario::kBigRoom:
      return "big_room";
    case Scenario::kManyRooms:
      return "many_rooms";
    case Scenario::kPublishAcks:
      return "publish_acks";
    case Scenario::kReconnectStorm:
      return "reconnect_storm";
    case Scenario::kPresenceChurn:
      return "presence_churn";
  }
  return "?";
}

LatencySummary Summarize(const LatencyHistogram& h) {
  return {h.count(), h.Percentile(0.5), h.Percentile(0.99), h.Percentile(0.999), h.max()};
}

}  // namespace

LoadGenerator::LoadGenerator(LoadOptions options)
    : options_(std::move(options)), work_(asio::make_work_guard(io_)) {}

LoadGenerator::~LoadGenerator() {
  for (auto& c : connections_) c->Drop();
  work_.reset();
  io_.poll();  // Lets aborted handlers run while the connections still exist.
}

absl::Status LoadGenerator::Setup() {
  const LoadOptions& o = options_;
  if (o.connections < 1) return absl::InvalidArgumentError("--connections must be >= 1");
  if (o.rate <= 0) return absl::InvalidArgumentError("--rate must be > 0");
  if (o.message_bytes < kPayloadHeader) {
    return absl::InvalidArgumentError(absl::StrCat("--message_bytes must be >= ", kPayloadHeader));
  }
  if (o.scenario != Scenario::kBigRoom && o.room_size < 1) {
    return absl::InvalidArgumentError("--room_size must be >= 1");
  }
  if (raw() && o.scenario != Scenario::kBigRoom) {
    return absl::InvalidArgumentError("--protocol=raw supports --scenario=big_room only");
  }
  absl::StatusOr<gateway::auth::TokenSigner> signer = absl::UnavailableError("raw");
  if (!raw()) {
    signer = gateway::auth::TokenSigner::Create(
        {.kid = "", .algorithm = gateway::auth::JwsAlgorithm::kHs256, .material = o.hs256_secret});
    if (!signer.ok()) return signer.status();
  }

  std::mt19937_64 rng(std::random_device{}());
  run_id_ = absl::StrCat(rng() % 1000000);
  rooms_ = o.scenario == Scenario::kBigRoom ? 1 : (o.connections + o.room_size - 1) / o.room_size;
  for (int r = 0; r < rooms_; ++r) {
    room_names_.push_back(absl::StrCat(o.room_prefix, "-", run_id_, "-", r));
  }

  const bool separate_publisher =
      o.scenario != Scenario::kPublishAcks && o.scenario != Scenario::kPresenceChurn;
  const int total = o.connections + (separate_publisher ? 1 : 0);
  tracker_ = std::make_unique<DeliveryTracker>(rooms_, o.connections);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(o.host),
                                         static_cast<uint16_t>(o.port));
  const absl::Time now = absl::Now();
  for (int i = 0; i < total; ++i) {
    std::string token;
    if (!raw()) {
      gateway::auth::Claims claims;
      claims.user_id = absl::StrCat("bench-", i);
      claims.expires_at = now + absl::Hours(24);
      claims.join_patterns = {"*"};
      claims.publish_patterns = {"*"};
      absl::StatusOr<std::string> signed_token = signer->Sign(claims, now);
      if (!signed_token.ok()) return signed_token.status();
      token = *std::move(signed_token);
    }
    connections_.push_back(
        std::make_unique<BenchConnection>(io_, i, endpoint, std::move(token), o.format, this));
    const int room = !IsReceiver(i) ? -1
                     : o.scenario == Scenario::kBigRoom ? 0
                                                        : i / o.room_size;
    room_of_.push_back(room);
    if (room >= 0) tracker_->AssignReceiver(i, room);
  }
  state_.assign(total, ConnState::kIdle);
  joined_now_.assign(total, false);
  last_offset_.assign(total, 0);
  resuming_.assign(total, false);
  if (separate_publisher) {
    publishers_ = {o.connections};
  } else if (o.scenario == Scenario::kPublishAcks) {
    for (int i = 0; i < o.connections; ++i) publishers_.push_back(i);
  } else {
    churn_ = std::make_unique<PresenceChurn>(o.connections, o.rate);
  }
  return absl::OkStatus();
}

absl::Status LoadGenerator::ConnectAll() {
  const int total = static_cast<int>(connections_.size());
  const auto deadline = std::chrono::steady_clock::now() +
                        absl::ToChronoNanoseconds(options_.connect_timeout);
  int next = 0;
  int last_logged = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    while (connecting_ < options_.connect_concurrency && next < total) {
      state_[next] = ConnState::kConnecting;
      ++connecting_;
      connections_[next++]->Start();
    }
    if (next == total && connecting_ == 0) break;
    io_.run_for(std::chrono::milliseconds(5));
    const int done = next - connecting_;
    if (done / 1000 != last_logged / 1000) {
      SB_LOG_INFO("connected {} / {}", done, total);
      last_logged = done;
    }
  }
  int ready = 0;
  for (int i = 0; i < total; ++i) {
    if (state_[i] == ConnState::kReady) ++ready;
    if (state_[i] == ConnState::kConnecting) {
      state_[i] = ConnState::kFailed;
      connections_[i]->Drop();
      CountError("connect timeout");
    }
    // Churn only what is connected and in its starting state.
    if (churn_ != nullptr && state_[i] != ConnState::kReady) churn_->OnClosed(i);
  }
  SB_LOG_INFO("{} of {} connections ready", ready, total);
  if (churn_ != nullptr) {
    if (ready > 0) return absl::OkStatus();
    return absl::UnavailableError("no connection is ready");
  }
  for (int p : publishers_) {
    if (state_[p] == ConnState::kReady) return absl::OkStatus();
  }
  return absl::UnavailableError("no publisher connection is ready");
}

void LoadGenerator::SendJoin(int index) {
  pb::ClientFrame frame;
  frame.set_id(kJoinIdBit | static_cast<uint64_t>(index));
  pb::Join* join = frame.mutable_join();
  join->set_room(room_names_[room_of_[index]]);
  if (resuming_[index]) join->set_since_offset(last_offset_[index]);
  if (churn_ != nullptr) join->set_presence(true);
  connections_[index]->Send(frame);
}

void LoadGenerator::SendLeave(int index) {
  pb::ClientFrame frame;
  frame.set_id(kLeaveIdBit | static_cast<uint64_t>(index));
  frame.mutable_leave()->set_room(room_names_[room_of_[index]]);
  connections_[index]->Send(frame);
}

void LoadGenerator::ChurnDue(int64_t now_ns) {
  churn_ops_.clear();
  churn_->TakeDue(now_ns, &churn_ops_);
  for (const PresenceChurn::Op& op : churn_ops_) {
    if (op.kind == PresenceChurn::OpKind::kJoin) {
      SendJoin(op.connection);
    } else {
      SendLeave(op.connection);
    }
  }
}

void LoadGenerator::MarkReady(int index) {
  if (state_[index] == ConnState::kConnecting) {
    state_[index] = ConnState::kReady;
    --connecting_;
  }
}

void LoadGenerator::OnFrame(BenchConnection& connection, const pb::ServerFrame& frame,
                            int64_t received_ns) {
  const int index = connection.index();
  switch (frame.kind_case()) {
    case pb::ServerFrame::kWelcome:
      if (room_of_[index] >= 0 &&
          (churn_ == nullptr || PresenceChurn::StartsJoined(index))) {
        SendJoin(index);
      } else {
        MarkReady(index);
      }
      break;
    case pb::ServerFrame::kJoined: {
      joined_now_[index] = true;
      last_offset_[index] = std::max(last_offset_[index], frame.joined().offset());
      tracker_->MarkJoined(index);
      if (resuming_[index]) {
        resuming_[index] = false;
        ++storm_resumed_;
        if (!frame.joined().recovered()) ++storm_not_recovered_;
        storm_last_resume_ns_ = received_ns;
      }
      if (churn_ != nullptr) churn_->OnJoined(index, received_ns);
      MarkReady(index);
      break;
    }
    case pb::ServerFrame::kLeft:
      joined_now_[index] = false;
      if (churn_ != nullptr) churn_->OnLeft(index, received_ns);
      break;
    case pb::ServerFrame::kPresence:
      if (received_ns >= measure_start_ns_ && received_ns < measure_end_ns_) ++presence_events_;
      break;
    case pb::ServerFrame::kPublishAck: {
      const uint64_t id = frame.id();
      if (id == 0 || id > publishes_.size()) break;
      const PublishRef ref = publishes_[id - 1];
      tracker_->OnAck(ref.room, ref.seq);
      if (tracker_->IsMeasured(ref.room, ref.seq)) {
        ack_.Record((received_ns - tracker_->ScheduledNs(ref.room, ref.seq)) / 1000);
      }
      break;
    }
    case pb::ServerFrame::kMessage:
      OnMessage(index, frame.message(), received_ns);
      break;
    case pb::ServerFrame::kBatch:
      for (const pb::Message& m : frame.batch().messages()) OnMessage(index, m, received_ns);
      break;
    case pb::ServerFrame::kError: {
      const uint64_t id = frame.id();
      CountError(pb::ErrorCode_Name(frame.error().code()));
      if (id & kJoinIdBit) {
        if (state_[index] == ConnState::kConnecting) {
          state_[index] = ConnState::kFailed;
          --connecting_;
        } else if (churn_ != nullptr) {
          churn_->OnError(index);
        }
      } else if (id & kLeaveIdBit) {
        if (churn_ != nullptr) churn_->OnError(index);
      } else if (id > 0 && id <= publishes_.size()) {
        tracker_->OnPublishError(publishes_[id - 1].room, publishes_[id - 1].seq);
      }
      break;
    }
    default:
      break;
  }
}

void LoadGenerator::OnMessage(int index, const pb::Message& message, int64_t received_ns) {
  if (!IsReceiver(index) || message.payload().data_case() != pb::Payload::kBinary) return;
  last_offset_[index] = std::max(last_offset_[index], message.offset());
  OnPayload(index, message.payload().binary(), received_ns);
}

void LoadGenerator::OnRawMessage(BenchConnection& connection, absl::string_view payload,
                                 int64_t received_ns) {
  if (IsReceiver(connection.index())) OnPayload(connection.index(), payload, received_ns);
}

void LoadGenerator::OnUpgraded(BenchConnection& connection) {
  if (!raw()) return;  // The Switchboard protocol's Welcome comes next.
  // A raw server has no rooms: an upgraded receiver gets every broadcast.
  const int index = connection.index();
  joined_now_[index] = true;
  if (IsReceiver(index)) tracker_->MarkJoined(index);
  MarkReady(index);
}

void LoadGenerator::OnPayload(int index, absl::string_view data, int64_t received_ns) {
  if (data.size() < kPayloadHeader) return;
  int64_t scheduled_ns;
  uint32_t room, seq;
  std::memcpy(&scheduled_ns, data.data(), 8);
  std::memcpy(&room, data.data() + 8, 4);
  std::memcpy(&seq, data.data() + 12, 4);
  if (tracker_->OnDelivered(index, static_cast<int>(room), seq)) {
    end_to_end_.Record((received_ns - scheduled_ns) / 1000);
    last_measured_delivery_ns_ = std::max(last_measured_delivery_ns_, received_ns);
  }
}

void LoadGenerator::OnClosed(BenchConnection& connection, absl::string_view reason) {
  const int index = connection.index();
  joined_now_[index] = false;
  if (churn_ != nullptr) churn_->OnClosed(index);
  CountError(absl::StrCat("closed: ", reason));
  if (state_[index] == ConnState::kConnecting) {
    state_[index] = ConnState::kFailed;
    --connecting_;
  }
}

void LoadGenerator::CountError(std::string what) {
  if (++errors_[what] == 1) SB_LOG_WARN("first '{}'", what);
}

void LoadGenerator::Publish(int64_t scheduled_ns) {
  const uint64_t k = next_publish_++;
  const int publisher = publishers_[k % publishers_.size()];
  const int room = room_of_[publisher] >= 0 ? room_of_[publisher] : static_cast<int>(k % rooms_);
  const bool measured = scheduled_ns >= measure_start_ns_;
  if (measured) ++measured_publishes_;
  const uint32_t seq = tracker_->AddPublish(room, scheduled_ns, measured);
  publishes_.push_back({room, seq});

  std::string data(options_.message_bytes, 'x');
  const uint32_t room32 = static_cast<uint32_t>(room);
  std::memcpy(data.data(), &scheduled_ns, 8);
  std::memcpy(data.data() + 8, &room32, 4);
  std::memcpy(data.data() + 12, &seq, 4);
  BenchConnection& connection = *connections_[publisher];
  if (!connection.open()) {
    tracker_->OnPublishError(room, seq);
    CountError("publisher not open");
    return;
  }
  if (raw()) {
    // No acks in a raw protocol: a message handed to TCP counts as accepted.
    connection.SendBinary(data);
    tracker_->OnAck(room, seq);
    return;
  }
  pb::ClientFrame frame;
  frame.set_id(publishes_.size());
  pb::Publish* publish = frame.mutable_publish();
  publish->set_room(room_names_[room]);
  publish->set_message_id(absl::StrCat("m", run_id_, "-", room, "-", seq));
  *publish->mutable_payload()->mutable_binary() = std::move(data);
  connection.Send(frame);
}

void LoadGenerator::PublishDue(int64_t now_ns) {
  const double interval_ns = 1e9 / options_.rate;
  while (true) {
    const int64_t scheduled =
        start_ns_ + static_cast<int64_t>(static_cast<double>(next_publish_) * interval_ns);
    if (scheduled > now_ns || scheduled >= measure_end_ns_) return;
    Publish(scheduled);
  }
}

void LoadGenerator::StartStorm(int64_t now_ns) {
  storm_started_ns_ = now_ns;
  std::mt19937_64 rng(now_ns);
  const int64_t window_ns = absl::ToInt64Nanoseconds(options_.reconnect_window);
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(window_ns, 1) - 1);
  for (int i = 0; i < options_.connections; ++i) {
    if (!joined_now_[i]) continue;
    connections_[i]->Drop();
    joined_now_[i] = false;
    ++storm_dropped_;
    reconnect_schedule_.push_back({now_ns + jitter(rng), i});
  }
  std::sort(reconnect_schedule_.begin(), reconnect_schedule_.end());
  SB_LOG_INFO("storm: dropped {} connections", storm_dropped_);
}

void LoadGenerator::ReconnectDue(int64_t now_ns) {
  while (next_reconnect_ < reconnect_schedule_.size() &&
         reconnect_schedule_[next_reconnect_].first <= now_ns) {
    const int i = reconnect_schedule_[next_reconnect_++].second;
    resuming_[i] = true;
    connections_[i]->Start();
  }
}

absl::StatusOr<BenchReport> LoadGenerator::Run() {
  if (absl::Status s = Setup(); !s.ok()) return s;
  if (absl::Status s = ConnectAll(); !s.ok()) return s;

  const ProcessStats::Sample zero;
  std::optional<ProcessStats::Sample> gateway_before, gateway_after;
  ProcessStats::Sample self_before, self_after;
  start_ns_ = NowNs();
  measure_start_ns_ = start_ns_ + absl::ToInt64Nanoseconds(options_.warmup);
  measure_end_ns_ = measure_start_ns_ + absl::ToInt64Nanoseconds(options_.duration);
  storm_at_ns_ = options_.scenario == Scenario::kReconnectStorm
                     ? measure_start_ns_ + absl::ToInt64Nanoseconds(options_.duration) / 3
                     : 0;
  if (churn_ != nullptr) churn_->Start(start_ns_, measure_start_ns_, measure_end_ns_);
  bool sampled_start = false;
  while (true) {
    const int64_t now = NowNs();
    if (!sampled_start && now >= measure_start_ns_) {
      sampled_start = true;
      if (options_.gateway_pid > 0) {
        auto s = ProcessStats::Read(options_.gateway_pid);
        if (s.ok()) gateway_before = *s;
      }
      self_before = ProcessStats::Read(getpid()).value_or(zero);
    }
    if (now >= measure_end_ns_) break;
    if (churn_ != nullptr) {
      ChurnDue(now);
    } else {
      PublishDue(now);
    }
    if (storm_at_ns_ > 0 && storm_started_ns_ == 0 && now >= storm_at_ns_) StartStorm(now);
    ReconnectDue(now);
    io_.run_for(std::chrono::microseconds(500));
  }
  SB_LOG_INFO("publishing done ({} messages); draining", next_publish_);
  if (churn_ != nullptr) ChurnDue(measure_end_ns_);  // The last ones due.
  if (options_.gateway_pid > 0) {
    auto s = ProcessStats::Read(options_.gateway_pid);
    if (s.ok()) gateway_after = *s;
  }
  self_after = ProcessStats::Read(getpid()).value_or(zero);

  const int64_t drain_end = NowNs() + absl::ToInt64Nanoseconds(options_.drain);
  while (NowNs() < drain_end) {
    ReconnectDue(NowNs());
    const bool storm_done = next_reconnect_ == reconnect_schedule_.size() &&
                            storm_resumed_ >= storm_dropped_;
    const bool churn_done = churn_ == nullptr || churn_->Idle();
    if (storm_done && churn_done && tracker_->Complete()) break;
    io_.run_for(std::chrono::milliseconds(5));
  }
  const double measured_seconds = (measure_end_ns_ - measure_start_ns_) / 1e9;
  return BuildReport(gateway_before, gateway_after, self_before, self_after, measured_seconds);
}

BenchReport LoadGenerator::BuildReport(const std::optional<ProcessStats::Sample>& gateway_before,
                                       const std::optional<ProcessStats::Sample>& gateway_after,
                                       const ProcessStats::Sample& self_before,
                                       const ProcessStats::Sample& self_after,
                                       double measured_seconds) {
  BenchReport r;
  r.scenario = ScenarioName(options_.scenario);
  r.format = options_.format == WireFormat::kProto  ? "proto"
             : options_.format == WireFormat::kJson ? "json"
                                                    : "raw";
  r.connections_requested = options_.connections;
  for (int i = 0; i < options_.connections; ++i) {
    if (state_[i] == ConnState::kReady) ++r.connections_held;
    if (connections_[i]->open()) ++r.connections_open_at_end;
  }
  r.rooms = rooms_;
  r.rate_requested = churn_ != nullptr ? 0 : options_.rate;  // Churn: joins, below.
  r.measured_seconds = measured_seconds;
  r.totals = tracker_->Summarize();
  r.publish_rate_achieved = r.totals.published / measured_seconds;
  // Over the window, or until the last measured delivery when a backlog
  // drained after it: what arrives late does not count as throughput.
  const double delivery_seconds =
      std::max(measured_seconds, (last_measured_delivery_ns_ - measure_start_ns_) / 1e9);
  r.delivered_per_second = r.totals.received / delivery_seconds;
  r.delivery_ratio =
      r.totals.expected == 0 ? 0 : static_cast<double>(r.totals.received) / r.totals.expected;
  r.end_to_end = Summarize(end_to_end_);
  r.ack = Summarize(ack_);
  r.errors = errors_;
  r.presence_events = presence_events_;
  if (churn_ != nullptr) {
    const PresenceChurn::Counts c = churn_->counts();
    r.has_churn = true;
    r.churn.joins_requested_per_second = options_.rate;
    r.churn.joins = c.joins;
    r.churn.joined = c.joined;
    r.churn.join_errors = c.join_errors;
    r.churn.leaves = c.leaves;
    r.churn.left = c.left;
    r.churn.leave_errors = c.leave_errors;
    r.churn.skipped = c.skipped;
    r.churn.unanswered = c.unanswered;
    r.churn.joins_per_second = c.joined / measured_seconds;
    r.churn.join_latency = Summarize(churn_->join_latency());
    r.churn.leave_latency = Summarize(churn_->leave_latency());
  }
  r.storm_dropped = storm_dropped_;
  r.storm_resumed = storm_resumed_;
  r.storm_not_recovered = storm_not_recovered_;
  if (storm_dropped_ > 0 && storm_resumed_ >= storm_dropped_) {
    r.storm_resume_seconds = (storm_last_resume_ns_ - storm_started_ns_) / 1e9;
  }
  if (gateway_before && gateway_after) {
    r.gateway_cpu_percent =
        ProcessStats::CpuPercent(*gateway_before, *gateway_after, measured_seconds);
    r.gateway_rss_bytes = gateway_after->rss_bytes;
    r.gateway_threads = gateway_after->threads;
  }
  r.loadgen_cpu_percent = ProcessStats::CpuPercent(self_before, self_after, measured_seconds);
  r.loadgen_rss_bytes = self_after.rss_bytes;
  return r;
}

}  // namespace switchboard::bench
