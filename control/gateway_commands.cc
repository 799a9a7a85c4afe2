#include "control/gateway_commands.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/room_name.h"
#include "control/presence_page.h"

namespace switchboard::control {

namespace bus = switchboard::bus::v1;
namespace v1 = switchboard::control::v1;

namespace {

// Ids come from tokens and gateways; bounded so a request cannot make every
// gateway parse megabytes.
constexpr size_t kMaxIdBytes = 256;
constexpr size_t kMaxReasonBytes = 1024;

absl::Status ValidateId(absl::string_view what, const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", id.size(), " bytes; the limit is ", kMaxIdBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(const std::string& reason) {
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason is ", reason.size(), " bytes; the limit is ", kMaxReasonBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateRoom(const std::string& room) {
  absl::Status s = ValidateRoomName(room);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat("room \"", absl::CEscape(room), "\": ",
                                                 s.message()));
}

uint32_t SumAffected(const FanoutResult& result) {
  uint32_t total = 0;
  for (const auto& reply : result.replies) total += reply.affected();
  return total;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t ns = absl::ToUnixNanos(t);
  ts.set_seconds(ns / 1000000000);
  ts.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return ts;
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

GatewayCommands::GatewayCommands(const CommandFanout* fanout, const GatewayDirectory* directory)
    : fanout_(fanout), directory_(directory) {}

absl::StatusOr<FanoutResult> GatewayCommands::Gather(bus::Command command,
                                                     absl::Time deadline) const {
  auto result = fanout_->Send(std::move(command), deadline);
  if (!result.ok()) return result.status();
  if (result->replies.empty() && !result->missing.empty()) {
    return absl::DeadlineExceededError(absl::StrCat("no gateway answered in time (live: ",
                                                    absl::StrJoin(result->missing, ", "), ")"));
  }
  if (!result->missing.empty()) {
    SB_LOG_WARN("partial answer: gateways {} did not answer in time",
                absl::StrJoin(result->missing, ", "));
  }
  std::vector<std::string> errors;
  for (const auto& reply : result->replies) {
    if (!reply.error().empty()) errors.push_back(absl::StrCat(reply.gateway_id(), ": ", reply.error()));
  }
  if (!errors.empty() && errors.size() == result->replies.size()) {
    return absl::InternalError(absl::StrCat("gateways failed: ", absl::StrJoin(errors, "; ")));
  }
  for (const std::string& e : errors) SB_LOG_WARN("gateway error: {}", e);
  return result;
}

absl::Status GatewayCommands::KickUser(const v1::KickUserRequest& request, absl::Time deadline,
                                       v1::KickUserResponse* response) {
  if (absl::Status s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (absl::Status s = ValidateReason(request.reason()); !s.ok()) return s;
  bus::Command command;
  bus::Kick* kick = command.mutable_kick();
  kick->set_user_id(request.user_id());
  kick->set_reason(request.reason());
  if (request.has_ban_for()) {
    const absl::Duration ban = FromProto(request.ban_for());
    if (ban < absl::ZeroDuration()) return absl::InvalidArgumentError("ban_for is negative");
    *kick->mutable_ban_until() = ToProto(absl::Now() + ban);
  }
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  response->set_connections_closed(SumAffected(*result));
  return absl::OkStatus();
}

absl::Status GatewayCommands::Disconnect(const v1::DisconnectRequest& request,
                                         absl::Time deadline) {
  if (absl::Status s = ValidateId("connection_id", request.connection_id()); !s.ok()) return s;
  if (absl::Status s = ValidateReason(request.reason()); !s.ok()) return s;
  bus::Command command;
  bus::Disconnect* disconnect = command.mutable_disconnect();
  disconnect->set_connection_id(request.connection_id());
  disconnect->set_reason(request.reason());
  disconnect->set_reconnect(request.reconnect());
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  if (SumAffected(*result) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no gateway holds connection \"", absl::CEscape(request.connection_id()), "\""));
  }
  return absl::OkStatus();
}

absl::Status GatewayCommands::Subscribe(const v1::SubscribeRequest& request, absl::Time deadline,
                                        v1::SubscribeResponse* response) {
  if (absl::Status s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (absl::Status s = ValidateRoom(request.room()); !s.ok()) return s;
  if (request.has_since_offset() && IsEphemeralRoom(request.room())) {
    return absl::InvalidArgumentError("since_offset: ephemeral rooms have no offsets");
  }
  bus::Command command;
  bus::Subscribe* subscribe = command.mutable_subscribe();
  subscribe->set_user_id(request.user_id());
  subscribe->set_room(request.room());
  if (request.has_since_offset()) subscribe->set_since_offset(request.since_offset());
  subscribe->set_presence(request.presence());
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  response->set_connections(SumAffected(*result));
  return absl::OkStatus();
}

absl::Status GatewayCommands::Unsubscribe(const v1::UnsubscribeRequest& request,
                                          absl::Time deadline,
                                          v1::UnsubscribeResponse* response) {
  if (absl::Status s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (absl::Status s = ValidateRoom(request.room()); !s.ok()) return s;
  if (absl::Status s = ValidateReason(request.reason()); !s.ok()) return s;
  bus::Command command;
  bus::Unsubscribe* unsubscribe = command.mutable_unsubscribe();
  unsubscribe->set_user_id(request.user_id());
  unsubscribe->set_room(request.room());
  unsubscribe->set_reason(request.reason());
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  response->set_connections(SumAffected(*result));
  return absl::OkStatus();
}

absl::Status GatewayCommands::GetPresence(const v1::GetPresenceRequest& request,
                                          absl::Time deadline,
                                          v1::GetPresenceResponse* response) {
  if (absl::Status s = ValidateRoom(request.room()); !s.ok()) return s;
  bus::Command command;
  command.mutable_presence_survey()->set_room(request.room());
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  std::vector<bus::PresenceEntry> entries;
  for (auto& reply : result->replies) {
    for (auto& entry : *reply.mutable_presence()->mutable_entries()) {
      // The replying gateway is authoritative for where its connections live.
      if (entry.gateway_id().empty()) entry.set_gateway_id(reply.gateway_id());
      entries.push_back(std::move(entry));
    }
  }
  return PagePresence(std::move(entries), request.page_size(), request.page_token(), response);
}

absl::Status GatewayCommands::GetPresenceStats(const v1::GetPresenceStatsRequest& request,
                                               absl::Time deadline,
                                               v1::GetPresenceStatsResponse* response) {
  if (absl::Status s = ValidateRoom(request.room()); !s.ok()) return s;
  bus::Command command;
  command.mutable_presence_survey()->set_room(request.room());
  command.mutable_presence_survey()->set_counts_only(true);
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  uint64_t connections = 0;
  absl::flat_hash_set<std::string> users;
  for (const auto& reply : result->replies) {
    connections += reply.presence().connections();
    users.insert(reply.presence().user_ids().begin(), reply.presence().user_ids().end());
  }
  response->set_connections(connections);
  response->set_users(users.size());
  return absl::OkStatus();
}

absl::Status GatewayCommands::GetInfo(absl::Time deadline, v1::GetInfoResponse* response) {
  // Start from what heartbeats said; survey answers are fresher and win.
  std::map<std::string, bus::GatewayInfo> gateways;
  for (const GatewayRecord& record : directory_->Live(absl::Now())) {
    gateways[record.info.gateway_id()] = record.info;
  }
  bus::Command command;
  command.mutable_info_survey();
  auto result = fanout_->Send(std::move(command), deadline);
  if (!result.ok()) return result.status();
  for (const auto& reply : result->replies) {
    if (!reply.error().empty() || !reply.has_info()) continue;
    bus::GatewayInfo info = reply.info();
    if (info.gateway_id().empty()) info.set_gateway_id(reply.gateway_id());
    gateways[info.gateway_id()] = std::move(info);
  }
  uint64_t connections = 0;
  uint64_t rooms = 0;
  for (const auto& [id, info] : gateways) {
    v1::Gateway* gw = response->add_gateways();
    gw->set_gateway_id(info.gateway_id());
    gw->set_advertise_address(info.advertise_address());
    gw->set_connections(info.connections());
    gw->set_rooms(info.rooms());
    if (info.has_started_at()) *gw->mutable_started_at() = info.started_at();
    gw->set_draining(info.draining());
    gw->set_version(info.version());
    connections += info.connections();
    rooms += info.rooms();
  }
  response->set_connections(connections);
  response->set_rooms(rooms);
  return absl::OkStatus();
}

}  // namespace switchboard::control
