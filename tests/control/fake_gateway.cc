#include "tests/control/fake_gateway.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "common/nats_status.h"

namespace switchboard::control::testing {

namespace bus = switchboard::bus::v1;

namespace {

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  const int64_t ns = absl::ToUnixNanos(t);
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

bool HasRoom(const FakeGateway::Connection& c, const std::string& room) {
  return std::find(c.rooms.begin(), c.rooms.end(), room) != c.rooms.end();
}

}  // namespace

FakeGateway::FakeGateway(std::string gateway_id, Subjects subjects, absl::Duration interval)
    : gateway_id_(std::move(gateway_id)),
      subjects_(std::move(subjects)),
      interval_(interval),
      started_at_(absl::Now()) {}

absl::StatusOr<std::unique_ptr<FakeGateway>> FakeGateway::Start(const std::string& nats_url,
                                                                const std::string& prefix,
                                                                const std::string& gateway_id,
                                                                absl::Duration heartbeat_interval) {
  std::unique_ptr<FakeGateway> self(new FakeGateway(gateway_id, Subjects(prefix), heartbeat_interval));
  natsStatus s = natsConnection_ConnectTo(&self->nats_, nats_url.c_str());
  if (s != NATS_OK) return FromNatsStatus(s, "fake gateway connect");
  const std::string subject = self->subjects_.AllGateways();
  s = natsConnection_Subscribe(&self->sub_, self->nats_, subject.c_str(), &FakeGateway::OnCommand,
                               self.get());
  if (s == NATS_OK) {
    s = natsSubscription_SetOnCompleteCB(self->sub_, &FakeGateway::OnComplete, self.get());
  }
  if (s == NATS_OK) s = natsConnection_FlushTimeout(self->nats_, 5000);
  if (s != NATS_OK) return FromNatsStatus(s, "fake gateway subscribe");
  self->heartbeat_thread_ = std::thread([raw = self.get()] { raw->HeartbeatLoop(); });
  return self;
}

FakeGateway::~FakeGateway() {
  StopHeartbeats();
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    sub_done_.WaitForNotificationWithTimeout(absl::Seconds(5));
    natsSubscription_Destroy(sub_);
  }
  natsConnection_Destroy(nats_);
}

void FakeGateway::StopHeartbeats() {
  if (!stop_heartbeats_.HasBeenNotified()) stop_heartbeats_.Notify();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

void FakeGateway::HeartbeatLoop() {
  do {
    bus::GatewayHeartbeat heartbeat;
    {
      absl::MutexLock lock(&mu_);
      *heartbeat.mutable_info() = InfoLocked();
      ++heartbeats_;
    }
    const int64_t ns = absl::ToInt64Nanoseconds(interval_);
    heartbeat.mutable_interval()->set_seconds(ns / 1000000000);
    heartbeat.mutable_interval()->set_nanos(static_cast<int32_t>(ns % 1000000000));
    const std::string data = heartbeat.SerializeAsString();
    natsConnection_Publish(nats_, subjects_.Heartbeat().c_str(), data.data(),
                           static_cast<int>(data.size()));
    natsConnection_FlushTimeout(nats_, 1000);
    // The interval is the gateway's clock, not a stand-in for synchronization.
  } while (!stop_heartbeats_.WaitForNotificationWithTimeout(interval_));
}

void FakeGateway::AddConnection(Connection connection) {
  absl::MutexLock lock(&mu_);
  connections_.push_back(std::move(connection));
}

std::vector<FakeGateway::Connection> FakeGateway::connections() const {
  absl::MutexLock lock(&mu_);
  return connections_;
}

void FakeGateway::SetSilent(bool silent) {
  absl::MutexLock lock(&mu_);
  silent_ = silent;
}

void FakeGateway::SetError(std::string error) {
  absl::MutexLock lock(&mu_);
  error_ = std::move(error);
}

std::vector<bus::Command> FakeGateway::commands() const {
  absl::MutexLock lock(&mu_);
  return commands_;
}

int FakeGateway::heartbeats() const {
  absl::MutexLock lock(&mu_);
  return heartbeats_;
}

bus::GatewayInfo FakeGateway::InfoLocked() const {
  bus::GatewayInfo info;
  info.set_gateway_id(gateway_id_);
  info.set_advertise_address("127.0.0.1:0");
  info.set_connections(connections_.size());
  std::set<std::string> rooms;
  for (const auto& c : connections_) rooms.insert(c.rooms.begin(), c.rooms.end());
  info.set_rooms(rooms.size());
  SetTime(info.mutable_started_at(), started_at_);
  info.set_version("fake");
  return info;
}

void FakeGateway::OnCommand(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<FakeGateway*>(closure);
  bus::Command command;
  const bool parsed = command.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  const char* reply_to = natsMsg_GetReply(msg);
  std::string reply_subject = reply_to == nullptr ? "" : reply_to;
  natsMsg_Destroy(msg);
  if (!parsed || reply_subject.empty()) return;
  {
    absl::MutexLock lock(&self->mu_);
    self->commands_.push_back(command);
    if (self->silent_) return;
  }
  const std::string data = self->Answer(command).SerializeAsString();
  natsConnection_Publish(nc, reply_subject.c_str(), data.data(), static_cast<int>(data.size()));
}

void FakeGateway::OnComplete(void* closure) { static_cast<FakeGateway*>(closure)->sub_done_.Notify(); }

bus::CommandReply FakeGateway::Answer(const bus::Command& command) {
  bus::CommandReply reply;
  reply.set_command_id(command.command_id());
  reply.set_gateway_id(gateway_id_);
  absl::MutexLock lock(&mu_);
  if (!error_.empty()) {
    reply.set_error(error_);
    return reply;
  }
  uint32_t affected = 0;
  switch (command.kind_case()) {
    case bus::Command::kKick: {
      auto gone = std::remove_if(connections_.begin(), connections_.end(), [&](const Connection& c) {
        return c.user_id == command.kick().user_id();
      });
      affected = static_cast<uint32_t>(connections_.end() - gone);
      connections_.erase(gone, connections_.end());
      break;
    }
    case bus::Command::kDisconnect: {
      auto gone = std::remove_if(connections_.begin(), connections_.end(), [&](const Connection& c) {
        return c.connection_id == command.disconnect().connection_id();
      });
      affected = static_cast<uint32_t>(connections_.end() - gone);
      connections_.erase(gone, connections_.end());
      break;
    }
    case bus::Command::kSubscribe:
      for (auto& c : connections_) {
        if (c.user_id != command.subscribe().user_id()) continue;
        if (!HasRoom(c, command.subscribe().room())) c.rooms.push_back(command.subscribe().room());
        ++affected;
      }
      break;
    case bus::Command::kUnsubscribe:
      for (auto& c : connections_) {
        if (c.user_id != command.unsubscribe().user_id() ||
            !HasRoom(c, command.unsubscribe().room())) {
          continue;
        }
        c.rooms.erase(std::find(c.rooms.begin(), c.rooms.end(), command.unsubscribe().room()));
        ++affected;
      }
      break;
    case bus::Command::kPresenceSurvey: {
      const auto& survey = command.presence_survey();
      auto* presence = reply.mutable_presence();
      presence->set_room(survey.room());
      absl::flat_hash_set<std::string> users;
      for (const auto& c : connections_) {
        if (!HasRoom(c, survey.room())) continue;
        presence->set_connections(presence->connections() + 1);
        if (users.insert(c.user_id).second) presence->add_user_ids(c.user_id);
        if (survey.counts_only()) continue;
        auto* entry = presence->add_entries();
        entry->set_gateway_id(gateway_id_);
        entry->mutable_info()->set_user_id(c.user_id);
        entry->mutable_info()->set_connection_id(c.connection_id);
        SetTime(entry->mutable_info()->mutable_joined_at(), started_at_);
      }
      break;
    }
    case bus::Command::kInfoSurvey:
      *reply.mutable_info() = InfoLocked();
      break;
    default:
      reply.set_error("unknown command");
  }
  reply.set_affected(affected);
  return reply;
}

}  // namespace switchboard::control::testing
