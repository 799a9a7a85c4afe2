// sbctl: the operator's command line for the Switchboard control plane.
// `sbctl help` lists the commands; docs/control-api.md has examples.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/sbctl/sbctl.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "Control plane gRPC address");
ABSL_FLAG(std::string, api_key, "", "API key (default: $SBCTL_API_KEY)");
ABSL_FLAG(bool, json, false, "Print responses as protobuf JSON, one object per line");
ABSL_FLAG(bool, tls, false, "Use TLS (system roots unless --tls_ca_file)");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM CA bundle to verify the server (implies --tls)");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate for mTLS (implies --tls)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM key of --tls_cert_file");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call (not watch)");

ABSL_FLAG(bool, json_payload, false, "publish/broadcast: TEXT is a JSON value");
ABSL_FLAG(std::string, message_id, "", "publish/broadcast: idempotency key");
ABSL_FLAG(int64_t, after, -1, "history: messages after this offset");
ABSL_FLAG(int64_t, latest, 0, "history: the latest N messages");
ABSL_FLAG(int64_t, limit, 0, "history: at most this many (server default 100)");
ABSL_FLAG(std::string, reason, "", "kick/disconnect/unsubscribe: reason shown to the client");
ABSL_FLAG(absl::Duration, ban_for, absl::ZeroDuration(), "kick: refuse reconnects this long");
ABSL_FLAG(bool, reconnect, false, "disconnect: tell the client to reconnect");
ABSL_FLAG(int64_t, since, -1, "subscribe/watch: resume after this offset");
ABSL_FLAG(bool, presence, false, "subscribe/watch: include presence events");
ABSL_FLAG(int64_t, page_size, 0, "presence: entries per page (server default 100)");
ABSL_FLAG(std::string, page_token, "", "presence: fetch only the page at this token");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(switchboard::sbctl::Sbctl::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());

  switchboard::sbctl::SbctlOptions options;
  options.addr = absl::GetFlag(FLAGS_addr);
  options.api_key = absl::GetFlag(FLAGS_api_key);
  if (options.api_key.empty()) {
    if (const char* env = std::getenv("SBCTL_API_KEY")) options.api_key = env;
  }
  options.json = absl::GetFlag(FLAGS_json);
  options.tls = absl::GetFlag(FLAGS_tls);
  options.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  options.json_payload = absl::GetFlag(FLAGS_json_payload);
  options.message_id = absl::GetFlag(FLAGS_message_id);
  options.after = absl::GetFlag(FLAGS_after);
  options.latest = absl::GetFlag(FLAGS_latest);
  options.limit = static_cast<uint32_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_limit)));
  options.reason = absl::GetFlag(FLAGS_reason);
  options.ban_for = absl::GetFlag(FLAGS_ban_for);
  options.reconnect = absl::GetFlag(FLAGS_reconnect);
  options.since = absl::GetFlag(FLAGS_since);
  options.presence = absl::GetFlag(FLAGS_presence);
  options.page_size = static_cast<uint32_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_page_size)));
  options.page_token = absl::GetFlag(FLAGS_page_token);

  auto channel = switchboard::sbctl::Sbctl::MakeChannel(options);
  if (!channel.ok()) {
    std::cerr << "sbctl: " << channel.status().message() << "\n";
    return 2;
  }
  switchboard::sbctl::Sbctl sbctl(std::move(options), *channel, std::cout, std::cerr);
  return sbctl.Run(args);
}
