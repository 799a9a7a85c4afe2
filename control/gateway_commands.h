#ifndef SWITCHBOARD_CONTROL_GATEWAY_COMMANDS_H_
#define SWITCHBOARD_CONTROL_GATEWAY_COMMANDS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "control/ban_writer.h"
#include "fanout/command_fanout.h"
#include "fanout/gateway_directory.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::control {

// The control RPCs that act on gateways (kick, disconnect, server-side
// subscribe/unsubscribe, presence, cluster info), each one bus Command
// scattered to every gateway with its replies merged. Requests are validated
// first (InvalidArgument). When live gateways exist but none answered by the
// deadline the result is DeadlineExceeded; a partial answer is returned as is
// (and logged). Thread-safe; every method blocks up to `deadline`.
class GatewayCommands {
 public:
  // All must outlive this object. Without `bans` (unit tests with a fake
  // gateway), a ban travels in the Kick command only.
  GatewayCommands(const fanout::CommandFanout* fanout, const fanout::GatewayDirectory* directory,
                  BanWriter* bans = nullptr);

  absl::Status KickUser(const switchboard::control::v1::KickUserRequest& request,
                        absl::Time deadline, switchboard::control::v1::KickUserResponse* response);
  // NotFound when no gateway holds the connection.
  absl::Status Disconnect(const switchboard::control::v1::DisconnectRequest& request,
                          absl::Time deadline);
  absl::Status Subscribe(const switchboard::control::v1::SubscribeRequest& request,
                         absl::Time deadline,
                         switchboard::control::v1::SubscribeResponse* response);
  absl::Status Unsubscribe(const switchboard::control::v1::UnsubscribeRequest& request,
                           absl::Time deadline,
                           switchboard::control::v1::UnsubscribeResponse* response);
  absl::Status GetPresence(const switchboard::control::v1::GetPresenceRequest& request,
                           absl::Time deadline,
                           switchboard::control::v1::GetPresenceResponse* response);
  absl::Status GetPresenceStats(const switchboard::control::v1::GetPresenceStatsRequest& request,
                                absl::Time deadline,
                                switchboard::control::v1::GetPresenceStatsResponse* response);
  absl::Status GetInfo(absl::Time deadline, switchboard::control::v1::GetInfoResponse* response);

 private:
  // Sends `command` and applies the partial-answer rules above; also turns a
  // reply carrying an error into a failure when no gateway succeeded.
  absl::StatusOr<fanout::FanoutResult> Gather(switchboard::bus::v1::Command command,
                                      absl::Time deadline) const;

  const fanout::CommandFanout* fanout_;
  const fanout::GatewayDirectory* directory_;
  BanWriter* bans_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_GATEWAY_COMMANDS_H_
