#ifndef SWITCHBOARD_GATEWAY_COMMAND_HANDLER_H_
#define SWITCHBOARD_GATEWAY_COMMAND_HANDLER_H_

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/gateway_context.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::gateway {

class Worker;

// The gateway's side of the control plane's bus contract (bus.proto):
// answers Commands on "<prefix>.ctl.gw" and "<prefix>.ctl.gw.<id>" (kick,
// disconnect, subscribe, unsubscribe, presence and info surveys) with one
// CommandReply each, and publishes a GatewayHeartbeat every interval.
// Commands arrive on NATS threads; each is carried out on every worker (posted,
// then awaited with a deadline), never by touching sessions from NATS threads.
class CommandHandler {
 public:
  CommandHandler(GatewayContext& ctx, std::vector<Worker*> workers,
                 absl::Duration heartbeat_interval);
  ~CommandHandler();

  absl::Status Start();
  void Stop();

  // Carries out one command and fills its reply (used by tests too).
  switchboard::bus::v1::CommandReply Execute(const switchboard::bus::v1::Command& command);

 private:
  static void OnCommand(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  void HeartbeatLoop();
  switchboard::bus::v1::GatewayInfo Info();

  GatewayContext& ctx_;
  std::vector<Worker*> workers_;
  absl::Duration heartbeat_interval_;
  absl::Time started_at_ = absl::Now();
  natsSubscription* all_ = nullptr;
  natsSubscription* own_ = nullptr;
  absl::Notification stop_;
  std::thread heartbeat_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_COMMAND_HANDLER_H_
