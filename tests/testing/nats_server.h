#ifndef SWITCHBOARD_TESTS_TESTING_NATS_SERVER_H_
#define SWITCHBOARD_TESTS_TESTING_NATS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace switchboard {
namespace testing {

struct NatsServerOptions {
  bool jetstream = true;
  std::string store_dir;  // Empty: a directory inside the server's own temp dir.
  int port = 0;           // Client port; 0: a free port.
  std::string server_name;
  // Non-empty: join the cluster of that name, listening for routes on
  // cluster_port (0: a free port) and dialing `routes`.
  std::string cluster_name;
  int cluster_port = 0;
  std::vector<std::string> routes;  // "nats-route://127.0.0.1:P"
};

// One nats-server process on 127.0.0.1 for a test, with its monitoring port
// (also on 127.0.0.1) used to tell when it is ready. The config file and the
// server's log live in a temp dir owned by this object; startup failures
// carry the log's tail. The binary is $SB_NATS_SERVER if set, else the first
// of /usr/sbin, /usr/bin, /usr/local/bin that has nats-server.
//
// Not thread-safe: drive it from one thread (the test's main thread; see
// Subprocess about the parent-death signal).
class NatsServer {
 public:
  // Writes the config, starts the server and waits (up to 20 s) until it is
  // ready: for a standalone server the monitor's /healthz answers 200 (with
  // JetStream that includes JetStream being up); for a cluster member,
  // /healthz?js-enabled-only=true, since full health needs a meta leader and
  // therefore the other members. Use WaitHealthy for that. When a port was
  // picked here and turns out to be taken, startup is retried on new ports.
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start(NatsServerOptions options = {});

  // Stops the server gracefully if it is running.
  ~NatsServer();

  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  std::string url() const;  // "nats://127.0.0.1:PORT"
  int port() const { return options_.port; }
  int monitor_port() const { return monitor_port_; }
  int cluster_port() const { return options_.cluster_port; }
  const std::string& server_name() const { return options_.server_name; }
  const std::string& store_dir() const { return options_.store_dir; }
  const std::string& config_path() const { return config_path_; }

  // SIGTERM and wait for exit (SIGKILL after 10 s, reported as
  // DeadlineExceeded). OK if the server is not running.
  absl::Status Stop();
  // SIGKILL, as a crash would: no clean JetStream shutdown.
  absl::Status Kill();
  // Stops the server if running, then starts it again with the same ports,
  // config and store dir and waits until ready as Start does.
  absl::Status Restart();
  bool Running();

  // Waits until plain /healthz answers 200: for JetStream in a cluster this
  // means the server is in contact with, and current with, a meta leader.
  absl::Status WaitHealthy(absl::Duration timeout);

  // The server's log so far (all runs, since Restart appends).
  std::string Log() const;

 private:
  NatsServer(NatsServerOptions options, int monitor_port, std::unique_ptr<TempDir> dir)
      : options_(std::move(options)), monitor_port_(monitor_port), dir_(std::move(dir)) {}

  absl::Status WriteConfig();
  // Starts the process and waits until ready.
  absl::Status Launch();
  std::string LogTail() const;

  NatsServerOptions options_;  // Ports and store_dir resolved.
  int monitor_port_;
  std::unique_ptr<TempDir> dir_;
  std::string config_path_;
  std::string log_path_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_NATS_SERVER_H_
