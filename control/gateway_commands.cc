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
#include "common/quote.h"
#include "common/proto_time.h"
#include "control/presence_page.h"
#include "control/request_validation.h"

namespace switchboard::control {

namespace bus = switchboard::bus::v1;

namespace {

uint32_t SumAffected(const fanout::FanoutResult& result) {
  uint32_t total = 0;
  for (const auto& reply : result.replies) total += reply.affected();
  return total;
}

}  // namespace

GatewayCommands::GatewayCommands(const fanout::CommandFanout* fanout,
                                 const fanout::GatewayDirectory* directory, BanWriter* bans)
    : fanout_(fanout), directory_(directory), bans_(bans) {}

absl::StatusOr<fanout::FanoutResult> GatewayCommands::Gather(bus::Command command,
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
  if (absl::Status s = ValidateKickUser(request); !s.ok()) return s;
  bus::Command command;
  bus::Kick* kick = command.mutable_kick();
  kick->set_user_id(request.user_id());
  kick->set_reason(request.reason());
  if (request.has_ban_for()) {
    const absl::Time now = absl::Now();
    ToProto(now + FromProto(request.ban_for()), kick->mutable_ban_until());
    // Stored before any gateway hears of it: gateways started later, or cut
    // off from NATS now, learn it from the bucket. No stored ban, no kick:
    // the caller retries the whole call.
    if (bans_ != nullptr) {
      bus::Ban ban;
      ban.set_user_id(request.user_id());
      *ban.mutable_until() = kick->ban_until();
      ban.set_reason(request.reason());
      ToProto(now, ban.mutable_banned_at());
      if (absl::Status s = bans_->Put(ban); !s.ok()) {
        return absl::UnavailableError(absl::StrCat("the ban could not be stored: ", s.message()));
      }
    }
  }
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  response->set_connections_closed(SumAffected(*result));
  // A ban is worth setting for a user who is offline; a plain kick of nobody
  // is most likely a wrong user id.
  if (response->connections_closed() == 0 && !request.has_ban_for()) {
    return absl::NotFoundError(
        absl::StrCat("user ", QuoteForError(request.user_id()), " has no live connection"));
  }
  return absl::OkStatus();
}

absl::Status GatewayCommands::Disconnect(const v1::DisconnectRequest& request,
                                         absl::Time deadline) {
  if (absl::Status s = ValidateDisconnect(request); !s.ok()) return s;
  bus::Command command;
  bus::Disconnect* disconnect = command.mutable_disconnect();
  disconnect->set_connection_id(request.connection_id());
  disconnect->set_reason(request.reason());
  disconnect->set_reconnect(request.reconnect());
  auto result = Gather(std::move(command), deadline);
  if (!result.ok()) return result.status();
  if (SumAffected(*result) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no gateway holds connection ", QuoteForError(request.connection_id())));
  }
  return absl::OkStatus();
}

absl::Status GatewayCommands::Subscribe(const v1::SubscribeRequest& request, absl::Time deadline,
                                        v1::SubscribeResponse* response) {
  if (absl::Status s = ValidateSubscribe(request); !s.ok()) return s;
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
  if (absl::Status s = ValidateUnsubscribe(request); !s.ok()) return s;
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
  // The page token too, before asking every gateway.
  if (absl::Status s = ValidateGetPresence(request); !s.ok()) return s;
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
  if (absl::Status s = ValidateGetPresenceStats(request); !s.ok()) return s;
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
  for (const fanout::GatewayRecord& record : directory_->Live(absl::Now())) {
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
