#ifndef SWITCHBOARD_GATEWAY_COMMAND_HANDLER_H_
#define SWITCHBOARD_GATEWAY_COMMAND_HANDLER_H_

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "fanout/gateway_directory.h"
#include "gateway/gateway_context.h"
#include "gateway/peer_monitor.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::gateway {

class Worker;

// The gateway's side of the control plane's bus contract (bus.proto):
// answers Commands on "<prefix>.ctl.gw" and "<prefix>.ctl.gw.<id>" (kick,
// disconnect, subscribe, unsubscribe, presence and info surveys) with one
// CommandReply each, and publishes a GatewayHeartbeat every interval. With a
// directory of the cluster's gateways it also watches the other gateways' heartbeats:
// when one is lost, every worker tells its presence members (GATEWAY_LOST);
// when this gateway was cut off from NATS for long enough that the others
// will have declared it lost, every worker announces its members again.
// Commands arrive on NATS threads; each is carried out on every worker (posted,
// then awaited with a deadline), never by touching sessions from NATS threads.
class CommandHandler {
 public:
  // `directory` (may be null: no peer watching) must outlive this object.
  CommandHandler(GatewayContext& ctx, std::vector<Worker*> workers,
                 absl::Duration heartbeat_interval,
                 const fanout::GatewayDirectory* directory = nullptr);
  ~CommandHandler();

  absl::Status Start();
  void Stop();

  // True once this gateway's heartbeat is in the directory's bucket: from then
  // on every process that loads the directory waits for this gateway.
  bool registered() const { return registered_.load(); }

  // Carries out one command and fills its reply (used by tests too).
  switchboard::bus::v1::CommandReply Execute(const switchboard::bus::v1::Command& command);

 private:
  static void OnCommand(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  void HeartbeatLoop();
  // Peer losses and this gateway's own bus outages; once per heartbeat.
  void WatchCluster();
  switchboard::bus::v1::GatewayInfo Info();

  GatewayContext& ctx_;
  std::vector<Worker*> workers_;
  absl::Duration heartbeat_interval_;
  absl::Time started_at_ = absl::Now();
  natsSubscription* all_ = nullptr;
  natsSubscription* own_ = nullptr;
  absl::Notification stop_;
  std::thread heartbeat_;
  std::optional<PeerMonitor> peers_;
  const fanout::GatewayDirectory* directory_;
  std::atomic<bool> registered_{false};
  bool register_failed_ = false;  // heartbeat thread only: log once per outage
  absl::Time disconnected_since_ = absl::InfinitePast();
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_COMMAND_HANDLER_H_
