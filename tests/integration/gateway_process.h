#ifndef SWITCHBOARD_TESTS_INTEGRATION_GATEWAY_PROCESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_GATEWAY_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/cpp/client.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::testing {

// A real switchboard-gateway process for integration tests, on free ports,
// with an HS256 key of its own, plus what tests need around it: tokens signed
// with that key, client options pointing at it, and metric readings.
class GatewayProcess {
 public:
  // Starts the gateway against `nats_url` with `extra_flags` and waits until
  // /readyz answers 200 (stream provisioned, NATS connected).
  static absl::StatusOr<std::unique_ptr<GatewayProcess>> Start(
      const std::string& nats_url, const std::string& id,
      std::vector<std::string> extra_flags = {});

  // The HS256 secret shared by every GatewayProcess, so that a token works on
  // any of them (as with a real cluster).
  static const std::string& Secret();

  // A token for `user` allowed to join `rooms` (patterns) and publish to
  // `publish` (patterns; nullopt: same as rooms), valid for `ttl` (negative:
  // already expired).
  static std::string Token(const std::string& user, std::vector<std::string> rooms = {"*"},
                           std::optional<std::vector<std::string>> publish = std::nullopt,
                           absl::Duration ttl = absl::Hours(1));

  // Client options for this gateway, token in the Authorization header.
  switchboard::client::ClientOptions ClientOptionsFor(
      const std::string& token,
      switchboard::client::Format format = switchboard::client::Format::kProtobuf) const;

  // The value of one sample of /metrics ("name" or "name{labels}" exactly as
  // exposed); -1 when absent.
  double Metric(const std::string& sample) const;

  int port() const { return port_; }
  int admin_port() const { return admin_port_; }
  Subprocess& process() { return *process_; }
  // SIGKILL, as a crash would.
  void Kill();
  // Starts the same gateway again on the same ports.
  absl::Status Restart();

 private:
  GatewayProcess() = default;
  absl::Status Launch();

  std::string nats_url_;
  std::string id_;
  std::vector<std::string> extra_flags_;
  int port_ = 0;
  int admin_port_ = 0;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_INTEGRATION_GATEWAY_PROCESS_H_
