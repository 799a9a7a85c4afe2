#ifndef SWITCHBOARD_TOOLS_SBCTL_SBCTL_H_
#define SWITCHBOARD_TOOLS_SBCTL_SBCTL_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"

namespace switchboard::sbctl {

// Everything sbctl's flags can say; main.cc fills it.
struct SbctlOptions {
  std::string addr = "127.0.0.1:50051";
  // Sent as `authorization: Bearer <key>` when non-empty.
  std::string api_key;
  // Print responses in the protobuf JSON mapping, one object per line.
  bool json = false;
  // TLS: with `tls` the server is verified against `tls_ca_file` (or the
  // system roots); a client certificate and key enable mTLS.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Deadline of each unary call (Watch has none).
  absl::Duration timeout = absl::Seconds(10);

  // Command options.
  bool json_payload = false;  // publish/broadcast: TEXT is JSON
  std::string message_id;     // publish/broadcast idempotency key
  int64_t after = -1;         // history: after this offset
  int64_t latest = 0;         // history: the latest N
  uint32_t limit = 0;         // history: at most this many
  std::string reason;         // kick, disconnect, unsubscribe
  absl::Duration ban_for = absl::ZeroDuration();  // kick
  bool reconnect = false;     // disconnect
  int64_t since = -1;         // subscribe, watch: resume offset
  bool presence = false;      // subscribe, watch
  uint32_t page_size = 0;     // presence
  std::string page_token;     // presence: one page from here
};

// The sbctl commands over a ControlService channel. Output goes to `out`
// (tables, or JSON lines with --json), errors to `err`. Single-threaded.
class Sbctl {
 public:
  Sbctl(SbctlOptions options, std::shared_ptr<grpc::ChannelInterface> channel, std::ostream& out,
        std::ostream& err);

  // A channel to options.addr with the configured transport security.
  static absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const SbctlOptions& options);

  // Runs `args` (command and its operands); returns the exit code: 0 done,
  // 1 the call failed (message on `err`), 2 bad usage.
  int Run(const std::vector<std::string>& args);

  static const char kUsage[];

 private:
  using Args = std::vector<std::string>;

  grpc::Status Publish(const Args& args);
  grpc::Status Broadcast(const Args& args);
  grpc::Status Presence(const Args& args);
  grpc::Status Stats(const Args& args);
  grpc::Status History(const Args& args);
  grpc::Status Kick(const Args& args);
  grpc::Status Disconnect(const Args& args);
  grpc::Status Subscribe(const Args& args);
  grpc::Status Unsubscribe(const Args& args);
  grpc::Status Info(const Args& args);
  grpc::Status Watch(const Args& args);

  // A context with the API key and, for unary calls, the deadline.
  std::unique_ptr<grpc::ClientContext> Context(bool unary) const;
  // Builds the payload from TEXT per --json_payload.
  absl::StatusOr<switchboard::client::v1::Payload> Payload(const std::string& text) const;
  // Records a usage error (exit code 2) and returns it as a status.
  grpc::Status UsageError(const std::string& message);

  SbctlOptions options_;
  std::unique_ptr<switchboard::control::v1::ControlService::Stub> stub_;
  std::ostream& out_;
  std::ostream& err_;
  bool usage_error_ = false;
  // Set by a command whose call succeeded only in part (a broadcast with a
  // failed room): reported on stderr, exit code 1.
  std::string partial_failure_;
};

}  // namespace switchboard::sbctl

#endif  // SWITCHBOARD_TOOLS_SBCTL_SBCTL_H_
