#include "gateway/command_handler.h"

#include <functional>

#include "common/proto_time.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/nats_status.h"
#include "common/room_name.h"
#include "gateway/ban_list.h"
#include "gateway/connection.h"
#include "gateway/session_directory.h"
#include "gateway/worker.h"

namespace switchboard::gateway {

namespace bv1 = switchboard::bus::v1;
namespace cv1 = switchboard::client::v1;

namespace {

// How long a command may take on the workers before the reply goes without them.
constexpr absl::Duration kWorkerDeadline = absl::Seconds(2);



// Runs `task` on every worker and waits for all (or the deadline). The task
// writes only its own worker's slot in a result vector, so no lock is needed
// for results; the shared state lives until the last task ran.
template <typename T>
std::vector<T> OnEveryWorker(const std::vector<Worker*>& workers,
                             std::function<T(Worker&)> task) {
  struct State {
    explicit State(size_t n) : results(n) {}
    std::vector<T> results;
    absl::Mutex mu;
    int remaining ABSL_GUARDED_BY(mu) = 0;
  };
  auto state = std::make_shared<State>(workers.size());
  {
    absl::MutexLock lock(&state->mu);
    state->remaining = static_cast<int>(workers.size());
  }
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker* w = workers[i];
    w->Post([state, task, i, w] {
      T result = task(*w);
      absl::MutexLock lock(&state->mu);
      state->results[i] = std::move(result);
      --state->remaining;
    });
  }
  absl::MutexLock lock(&state->mu);
  // Evaluated by Await with the mutex held (clang's analysis cannot name a
  // lambda capture in the annotation, hence none).
  auto done = [s = state.get()]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->remaining == 0; };
  state->mu.AwaitWithTimeout(absl::Condition(&done), kWorkerDeadline);
  return state->results;
}

}  // namespace

CommandHandler::CommandHandler(GatewayContext& ctx, std::vector<Worker*> workers,
                               absl::Duration heartbeat_interval,
                               const fanout::GatewayDirectory* directory)
    : ctx_(ctx),
      workers_(std::move(workers)),
      heartbeat_interval_(heartbeat_interval),
      directory_(directory) {
  if (directory != nullptr) peers_.emplace(directory, ctx_.options->gateway_id);
}

CommandHandler::~CommandHandler() { Stop(); }

absl::Status CommandHandler::Start() {
  const std::string all = ctx_.subjects.AllGateways();
  const std::string own = ctx_.subjects.Gateway(ctx_.options->gateway_id);
  natsStatus s = natsConnection_Subscribe(&all_, ctx_.nats->raw(), all.c_str(), &OnCommand, this);
  if (s == NATS_OK) {
    s = natsConnection_Subscribe(&own_, ctx_.nats->raw(), own.c_str(), &OnCommand, this);
  }
  if (s != NATS_OK) return FromNatsStatus(s, "subscribe to control commands");
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  return absl::OkStatus();
}

void CommandHandler::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (heartbeat_.joinable()) heartbeat_.join();
  if (registered_.exchange(false) && ctx_.nats->connected()) {
    // Gone on purpose: nobody should wait for this gateway's answers.
    if (fanout::KvBucket* bucket = directory_->bucket()) {
      bucket->Delete(fanout::KvBucket::EncodeKey(ctx_.options->gateway_id)).IgnoreError();
    }
  }
  if (all_ != nullptr) {
    natsSubscription_Unsubscribe(all_);
    natsSubscription_Destroy(all_);
    all_ = nullptr;
  }
  if (own_ != nullptr) {
    natsSubscription_Unsubscribe(own_);
    natsSubscription_Destroy(own_);
    own_ = nullptr;
  }
}

void CommandHandler::OnCommand(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<CommandHandler*>(closure);
  bv1::Command command;
  const char* reply_to = natsMsg_GetReply(msg);
  if (command.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
    bv1::CommandReply reply = self->Execute(command);
    if (reply_to != nullptr && *reply_to != '\0') {
      const std::string data = reply.SerializeAsString();
      natsConnection_Publish(nc, reply_to, data.data(), static_cast<int>(data.size()));
    }
  } else {
    SB_LOG_WARN("dropping an undecodable control command");
  }
  natsMsg_Destroy(msg);
}

bv1::CommandReply CommandHandler::Execute(const bv1::Command& command) {
  bv1::CommandReply reply;
  reply.set_command_id(command.command_id());
  reply.set_gateway_id(ctx_.options->gateway_id);
  auto sum = [](const std::vector<uint32_t>& v) {
    uint32_t total = 0;
    for (uint32_t x : v) total += x;
    return total;
  };
  switch (command.kind_case()) {
    case bv1::Command::kKick: {
      const bv1::Kick kick = command.kick();
      if (kick.has_ban_until()) {
        ctx_.bans->Add(kick.user_id(), FromProto(kick.ban_until()), kick.reason());
      }
      reply.set_affected(sum(OnEveryWorker<uint32_t>(workers_, [kick](Worker& w) {
        uint32_t n = 0;
        for (Connection* c : w.ConnectionsOf(kick.user_id())) {
          c->Close(static_cast<uint16_t>(cv1::CLOSE_CODE_KICKED),
                   kick.reason().empty() ? "kicked" : kick.reason());
          ++n;
        }
        return n;
      })));
      break;
    }
    case bv1::Command::kDisconnect: {
      const bv1::Disconnect d = command.disconnect();
      reply.set_affected(sum(OnEveryWorker<uint32_t>(workers_, [d](Worker& w) -> uint32_t {
        Connection* c = w.FindConnection(d.connection_id());
        if (c == nullptr || !c->open()) return 0;
        c->Close(static_cast<uint16_t>(d.reconnect() ? cv1::CLOSE_CODE_DISCONNECTED
                                                     : cv1::CLOSE_CODE_NORMAL),
                 d.reason().empty() ? "disconnected" : d.reason());
        return 1;
      })));
      break;
    }
    case bv1::Command::kSubscribe: {
      const bv1::Subscribe sub = command.subscribe();
      if (!ValidateRoomName(sub.room()).ok()) {
        reply.set_error("invalid room name");
        break;
      }
      reply.set_affected(sum(OnEveryWorker<uint32_t>(workers_, [sub](Worker& w) {
        cv1::Join join;
        join.set_room(sub.room());
        if (sub.has_since_offset()) join.set_since_offset(sub.since_offset());
        join.set_presence(sub.presence());
        uint32_t n = 0;
        for (Connection* c : w.ConnectionsOf(sub.user_id())) n += c->session().ServerJoin(join);
        return n;
      })));
      break;
    }
    case bv1::Command::kUnsubscribe: {
      const bv1::Unsubscribe unsub = command.unsubscribe();
      reply.set_affected(sum(OnEveryWorker<uint32_t>(workers_, [unsub](Worker& w) {
        uint32_t n = 0;
        for (Connection* c : w.ConnectionsOf(unsub.user_id())) {
          n += c->session().ServerLeave(unsub.room(), unsub.reason().empty() ? "unsubscribed by the server"
                                                                            : unsub.reason());
        }
        return n;
      })));
      break;
    }
    case bv1::Command::kPresenceSurvey: {
      const bv1::PresenceSurvey survey = command.presence_survey();
      const std::string gateway_id = ctx_.options->gateway_id;
      auto parts = OnEveryWorker<std::vector<cv1::PresenceInfo>>(
          workers_, [room = survey.room()](Worker& w) { return w.rooms().PresenceOf(room); });
      auto* presence = reply.mutable_presence();
      presence->set_room(survey.room());
      absl::flat_hash_set<std::string> users;
      for (auto& part : parts) {
        presence->set_connections(presence->connections() + part.size());
        for (auto& info : part) {
          users.insert(info.user_id());
          if (survey.counts_only()) continue;
          auto* entry = presence->add_entries();
          entry->set_gateway_id(gateway_id);
          *entry->mutable_info() = std::move(info);
        }
      }
      for (const auto& u : users) presence->add_user_ids(u);
      break;
    }
    case bv1::Command::kSessionClaim: {
      const bv1::SessionClaim& claim = command.session_claim();
      auto holder = ctx_.sessions->Find(claim.session_id());
      if (!holder || holder->user_id != claim.user_id() ||
          holder->connection_id == claim.connection_id() || holder->worker == nullptr) {
        break;  // not here, or it is the claimant itself
      }
      ctx_.sessions->Release(claim.session_id(), holder->connection_id);
      Worker* w = holder->worker;
      w->Post([w, conn_id = holder->connection_id] {
        if (Connection* c = w->FindConnection(conn_id)) {
          c->Close(static_cast<uint16_t>(cv1::CLOSE_CODE_REPLACED),
                   "replaced by a newer connection");
        }
      });
      reply.set_affected(1);
      break;
    }
    case bv1::Command::kInfoSurvey:
      *reply.mutable_info() = Info();
      break;
    case bv1::Command::KIND_NOT_SET:
      reply.set_error("unknown command");
      break;
  }
  return reply;
}

bv1::GatewayInfo CommandHandler::Info() {
  bv1::GatewayInfo info;
  info.set_gateway_id(ctx_.options->gateway_id);
  info.set_advertise_address(absl::StrCat(ctx_.options->listen_address, ":", ctx_.options->listen_port));
  uint64_t connections = 0;
  uint64_t rooms = 0;
  for (Worker* w : workers_) {
    connections += static_cast<uint64_t>(std::max<int64_t>(0, w->stats().connections.load()));
  }
  auto room_counts = OnEveryWorker<uint64_t>(workers_, [](Worker& w) { return w.rooms().size(); });
  for (uint64_t r : room_counts) rooms += r;
  info.set_connections(connections);
  info.set_rooms(rooms);
  ToProto(started_at_, info.mutable_started_at());
  info.set_draining(ctx_.draining.load());
  info.set_version("0.1.0");
  return info;
}

void CommandHandler::HeartbeatLoop() {
  const std::string subject = ctx_.subjects.Heartbeat();
  const std::string key = fanout::KvBucket::EncodeKey(ctx_.options->gateway_id);
  absl::Time next_beat = absl::InfinitePast();
  do {
    const absl::Time now = absl::Now();
    if (ctx_.nats->connected() && (now >= next_beat || !registered_.load())) {
      next_beat = now + heartbeat_interval_;
      bv1::GatewayHeartbeat hb;
      *hb.mutable_info() = Info();
      ToProto(heartbeat_interval_, hb.mutable_interval());
      const std::string data = hb.SerializeAsString();
      natsConnection_Publish(ctx_.nats->raw(), subject.c_str(), data.data(),
                             static_cast<int>(data.size()));
      // The directory's bucket: what a process that starts later reads first.
      if (fanout::KvBucket* bucket = directory_ != nullptr ? directory_->bucket() : nullptr) {
        absl::Status s = bucket->Put(key, data).status();
        if (s.ok()) {
          registered_.store(true);
          register_failed_ = false;
        } else if (!register_failed_) {
          register_failed_ = true;
          SB_LOG_WARN("heartbeat not written to {}: {}", bucket->name(), s.ToString());
        }
      }
    }
    WatchCluster();
    // Until registered, look again soon: readiness waits for it.
    absl::Duration wait = heartbeat_interval_;
    if (!registered_.load()) {
      wait = std::min(heartbeat_interval_, absl::Milliseconds(50));
    } else if (next_beat > absl::Now()) {
      wait = next_beat - absl::Now();
    }
    if (stop_.WaitForNotificationWithTimeout(wait)) break;
  } while (true);
}

void CommandHandler::WatchCluster() {
  const absl::Time now = absl::Now();
  if (!ctx_.nats->connected()) {
    if (disconnected_since_ == absl::InfinitePast()) disconnected_since_ = now;
    return;
  }
  if (disconnected_since_ != absl::InfinitePast()) {
    // Peers declare a gateway lost after 3 missed heartbeats; past 2 the
    // members are announced again (a duplicate JOIN is harmless to clients).
    if (now - disconnected_since_ >= 2 * heartbeat_interval_) {
      SB_LOG_INFO("back on the bus after {}: announcing presence again",
                  absl::FormatDuration(now - disconnected_since_));
      for (Worker* w : workers_) w->Post([w] { w->rooms().ReannounceAll(); });
    }
    disconnected_since_ = absl::InfinitePast();
  }
  if (!peers_) return;
  for (const PeerMonitor::Lost& lost : peers_->TakeLost(now)) {
    SB_LOG_INFO("gateway {} {}: its presence entries are void", lost.gateway_id,
                lost.restarted_at == absl::InfinitePast() ? "is gone" : "restarted");
    for (Worker* w : workers_) {
      w->Post([w, lost] { w->rooms().OnGatewayLost(lost.gateway_id, lost.restarted_at); });
    }
  }
}

}  // namespace switchboard::gateway
