#ifndef SWITCHBOARD_FANOUT_COMMAND_FANOUT_H_
#define SWITCHBOARD_FANOUT_COMMAND_FANOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "fanout/gateway_directory.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::fanout {

// The replies gathered for one command.
struct FanoutResult {
  // At most one per gateway, in arrival order.
  std::vector<switchboard::bus::v1::CommandReply> replies;
  // Gateways the directory listed as live that had not answered by the
  // deadline (sorted); empty when every live gateway answered.
  std::vector<std::string> missing;
};

// Scatter-gather of bus Commands: publishes a Command on
// Subjects::AllGateways() with a private reply inbox and gathers the
// CommandReplies until every gateway the directory lists as live has
// answered, or NATS says nobody listens, or the deadline passes. Replies from
// gateways the directory does not know yet are kept too. Thread-safe; Send
// blocks its caller (an RPC worker thread) for at most the deadline.
class CommandFanout {
 public:
  // `nats` and `directory` must outlive this object.
  CommandFanout(NatsConnection* nats, Subjects subjects, const GatewayDirectory* directory);

  // Sends `command` (a random command_id is set when it has none). kUnavailable
  // when NATS is down. Fewer replies than gateways is not an error here: the
  // caller decides what a partial answer means (see FanoutResult::missing).
  absl::StatusOr<FanoutResult> Send(switchboard::bus::v1::Command command,
                                    absl::Time deadline) const;

 private:
  NatsConnection* nats_;
  Subjects subjects_;
  const GatewayDirectory* directory_;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_COMMAND_FANOUT_H_
