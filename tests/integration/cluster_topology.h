#ifndef SWITCHBOARD_TESTS_INTEGRATION_CLUSTER_TOPOLOGY_H_
#define SWITCHBOARD_TESTS_INTEGRATION_CLUSTER_TOPOLOGY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/integration/control_process.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_cluster.h"

namespace switchboard::testing {

struct ClusterTopologyOptions {
  int nats_nodes = 3;
  int gateways = 3;
  int controls = 2;
  // JetStream storage of the rooms stream (gateways and control must agree).
  bool file_storage = false;
  // Appended to every gateway's flags (after --replicas and the rate limits).
  std::vector<std::string> gateway_flags;
};

// A whole Switchboard cluster on 127.0.0.1 for multi-node tests: a NATS
// JetStream cluster, gateways "gw-1".."gw-N" and control processes
// "ctl-a", "ctl-b", ... Each process is given one NATS node's URL (spread
// over the nodes) and finds the others through NATS's server discovery; the
// rooms stream is replicated on min(3, nats_nodes) nodes. Gateways allow unlimited publish
// rates: the tests' publishers are load drivers, not clients to throttle.
//
// Not thread-safe: start, kill and restart from the test's main thread.
class ClusterTopology {
 public:
  static absl::StatusOr<std::unique_ptr<ClusterTopology>> Start(
      ClusterTopologyOptions options = {});

  NatsCluster& nats() { return *nats_; }
  GatewayProcess& gateway(int i) { return *gateways_.at(i); }
  ControlProcess& control(int i) { return *controls_.at(i); }
  int gateway_count() const { return static_cast<int>(gateways_.size()); }
  int control_count() const { return static_cast<int>(controls_.size()); }
  // The gateway ids, in index order ("gw-1", ...).
  std::vector<std::string> GatewayIds() const;

  // Waits until every running control process lists exactly `gateway_ids`
  // (sorted or not) in GetInfo: control learns gateways from heartbeats, so
  // a fresh one needs a beat before kicks and subscriptions reach everyone.
  absl::Status WaitForDirectory(const std::vector<std::string>& gateway_ids,
                                absl::Duration timeout);

 private:
  ClusterTopology() = default;

  std::unique_ptr<NatsCluster> nats_;
  std::vector<std::unique_ptr<GatewayProcess>> gateways_;
  std::vector<std::unique_ptr<ControlProcess>> controls_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_INTEGRATION_CLUSTER_TOPOLOGY_H_
