#ifndef SWITCHBOARD_TESTS_TESTING_NATS_CLUSTER_H_
#define SWITCHBOARD_TESTS_TESTING_NATS_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testing/nats_server.h"

namespace switchboard {
namespace testing {

// A JetStream cluster of nats-server processes on 127.0.0.1 for a test:
// cluster "sbtest", servers "n0".."n<size-1>", each routed to all others.
// Servers can be killed and restarted through server(i); their ports and
// store dirs stay the same.
//
// Not thread-safe: drive it from one thread (the test's main thread).
class NatsCluster {
 public:
  // Picks the route ports, starts every server, then waits (up to 20 s) until
  // the cluster is healthy (see WaitHealthy).
  static absl::StatusOr<std::unique_ptr<NatsCluster>> Start(int size = 3);

  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // Client URLs of all servers, comma-separated, as NATS clients accept
  // them (natsConnection_ConnectTo, natsOptions_SetURL).
  std::string urls() const;
  NatsServer& server(int i) { return *servers_.at(i); }
  int size() const { return static_cast<int>(servers_.size()); }

  // Waits until every *running* server answers /healthz with 200 and all of
  // them name the same JetStream meta leader (in /jsz) which is itself one
  // of the running servers. Servers that were stopped or killed are skipped,
  // so after killing one this tells whether the rest recovered.
  absl::Status WaitHealthy(absl::Duration timeout);

  // The meta leader's server name as seen by the running servers, if they
  // all agree on one that is running; Unavailable otherwise.
  absl::StatusOr<std::string> MetaLeader();

 private:
  NatsCluster() = default;

  std::vector<std::unique_ptr<NatsServer>> servers_;
};

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_NATS_CLUSTER_H_
