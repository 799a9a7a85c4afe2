#ifndef SWITCHBOARD_TESTS_CONTROL_FAKE_GATEWAY_H_
#define SWITCHBOARD_TESTS_CONTROL_FAKE_GATEWAY_H_

#include <nats/nats.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/subjects.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::control::testing {

// TEST DOUBLE of a gateway's side of the bus contract (bus.proto), not a
// gateway: it publishes GatewayHeartbeats on "<prefix>.gw.hb" and answers
// Commands on "<prefix>.ctl.gw" from an in-memory list of connections, the way
// the contract says a gateway must (affected counts, presence entries, info).
// It lets the control plane's scatter-gather be tested before real gateways
// exist; integration with real gateways is tested elsewhere.
// Thread-safe: the NATS callback and the test thread share mu_.
class FakeGateway {
 public:
  struct Connection {
    std::string user_id;
    std::string connection_id;
    std::vector<std::string> rooms;
  };

  static absl::StatusOr<std::unique_ptr<FakeGateway>> Start(const std::string& nats_url,
                                                            const std::string& prefix,
                                                            const std::string& gateway_id,
                                                            absl::Duration heartbeat_interval);
  ~FakeGateway();

  void AddConnection(Connection connection);
  std::vector<Connection> connections() const;

  // Stops heartbeats (the control plane should then consider it dead after 3
  // intervals); it keeps answering commands unless set silent.
  void StopHeartbeats();
  // A silent gateway receives commands but never answers (a hung process).
  void SetSilent(bool silent);
  // When non-empty, every command is answered with this error.
  void SetError(std::string error);

  // Commands received so far.
  std::vector<switchboard::bus::v1::Command> commands() const;
  // Heartbeats sent so far.
  int heartbeats() const;

 private:
  FakeGateway(std::string gateway_id, Subjects subjects, absl::Duration interval);
  static void OnCommand(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void OnComplete(void* closure);
  switchboard::bus::v1::CommandReply Answer(const switchboard::bus::v1::Command& command);
  switchboard::bus::v1::GatewayInfo InfoLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HeartbeatLoop();

  const std::string gateway_id_;
  const Subjects subjects_;
  const absl::Duration interval_;
  const absl::Time started_at_;
  // A plain NATS.c connection with no connection callbacks, so nothing can
  // call back into this object after it is gone.
  natsConnection* nats_ = nullptr;
  natsSubscription* sub_ = nullptr;
  absl::Notification sub_done_;

  mutable absl::Mutex mu_;
  std::vector<Connection> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<switchboard::bus::v1::Command> commands_ ABSL_GUARDED_BY(mu_);
  bool silent_ ABSL_GUARDED_BY(mu_) = false;
  std::string error_ ABSL_GUARDED_BY(mu_);
  int heartbeats_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Notification stop_heartbeats_;
  std::thread heartbeat_thread_;
};

}  // namespace switchboard::control::testing

#endif  // SWITCHBOARD_TESTS_CONTROL_FAKE_GATEWAY_H_
