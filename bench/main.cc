// Switchboard load generator: see bench/README.md for one command per scenario.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "bench/load_generator.h"
#include "bench/load_options.h"
#include "common/logging.h"
#include "gateway/auth/key_config.h"

ABSL_FLAG(std::string, scenario, "many_rooms",
          "big_room | many_rooms | publish_acks | reconnect_storm | presence_churn");
ABSL_FLAG(std::string, protocol, "switchboard",
          "switchboard | raw (plain WebSocket broadcast server such as bench/baseline; "
          "big_room only, --format and --key_file unused)");
ABSL_FLAG(int, port, 8080, "Gateway WebSocket port on 127.0.0.1");
ABSL_FLAG(int, admin_port, 0,
          "Gateway admin port (informational only; RSS/CPU come from --gateway_pid)");
ABSL_FLAG(int, gateway_pid, 0, "Gateway pid to sample RSS/CPU from /proc; 0 = skip");
ABSL_FLAG(std::string, key_file, "", "HS256 secret file (the gateway's --jwt_hs256_key_file)");
ABSL_FLAG(int, connections, 1000, "Receiving connections");
ABSL_FLAG(int, room_size, 100, "Connections per room (not big_room)");
ABSL_FLAG(int, rooms, 0, "Number of rooms; overrides --room_size when > 0");
ABSL_FLAG(double, rate, 100,
          "Published messages per second, in total (presence_churn: joins per second, "
          "with as many leaves)");
ABSL_FLAG(int, message_bytes, 64, "Payload bytes (>= 16)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Unmeasured publishing before the window");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured window");
ABSL_FLAG(absl::Duration, drain, absl::Seconds(5), "Max wait for stragglers after the window");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(60), "Max time to connect and join all");
ABSL_FLAG(int, connect_concurrency, 200, "Handshakes in flight while ramping up");
ABSL_FLAG(absl::Duration, reconnect_window, absl::Seconds(2),
          "reconnect_storm: reconnects are spread uniformly over this window");
ABSL_FLAG(std::string, format, "proto", "proto | json");
ABSL_FLAG(std::string, json_out, "", "Also write the report as JSON to this file");

namespace {

void RaiseFdLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  SB_LOG_INFO("fd limit {}", static_cast<uint64_t>(limit.rlim_cur));
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Switchboard gateway load generator (see bench/README.md)");
  absl::ParseCommandLine(argc, argv);
  namespace bench = switchboard::bench;
  RaiseFdLimit();

  bench::LoadOptions options;
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  if (scenario == "big_room") {
    options.scenario = bench::Scenario::kBigRoom;
  } else if (scenario == "many_rooms") {
    options.scenario = bench::Scenario::kManyRooms;
  } else if (scenario == "publish_acks") {
    options.scenario = bench::Scenario::kPublishAcks;
  } else if (scenario == "reconnect_storm") {
    options.scenario = bench::Scenario::kReconnectStorm;
  } else if (scenario == "presence_churn") {
    options.scenario = bench::Scenario::kPresenceChurn;
  } else {
    std::cerr << "unknown --scenario " << scenario << "\n";
    return 2;
  }
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "proto" && format != "json") {
    std::cerr << "--format must be proto or json\n";
    return 2;
  }
  options.format = format == "proto" ? bench::WireFormat::kProto : bench::WireFormat::kJson;
  const std::string protocol = absl::GetFlag(FLAGS_protocol);
  if (protocol == "raw") {
    options.format = bench::WireFormat::kRaw;
  } else if (protocol != "switchboard") {
    std::cerr << "--protocol must be switchboard or raw\n";
    return 2;
  }
  if (options.format != bench::WireFormat::kRaw) {
    auto key = switchboard::gateway::auth::LoadHmacSecretFile(absl::GetFlag(FLAGS_key_file));
    if (!key.ok()) {
      std::cerr << "--key_file: " << key.status() << "\n";
      return 2;
    }
    options.hs256_secret = key->material;
  }
  options.port = absl::GetFlag(FLAGS_port);
  options.gateway_pid = absl::GetFlag(FLAGS_gateway_pid);
  options.connections = absl::GetFlag(FLAGS_connections);
  options.room_size = absl::GetFlag(FLAGS_room_size);
  if (const int rooms = absl::GetFlag(FLAGS_rooms); rooms > 0) {
    options.room_size = (options.connections + rooms - 1) / rooms;
  }
  options.rate = absl::GetFlag(FLAGS_rate);
  options.message_bytes = absl::GetFlag(FLAGS_message_bytes);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.drain = absl::GetFlag(FLAGS_drain);
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  options.connect_concurrency = absl::GetFlag(FLAGS_connect_concurrency);
  options.reconnect_window = absl::GetFlag(FLAGS_reconnect_window);

  bench::LoadGenerator generator(options);
  absl::StatusOr<bench::BenchReport> report = generator.Run();
  if (!report.ok()) {
    std::cerr << "loadgen: " << report.status() << "\n";
    return 1;
  }
  std::cout << report->ToTable() << std::flush;
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    std::ofstream out(path);
    out << report->ToJson() << "\n";
    if (!out) {
      std::cerr << "could not write " << path << "\n";
      return 1;
    }
  }
  return 0;
}
