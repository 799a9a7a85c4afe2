#ifndef SWITCHBOARD_BENCH_LOAD_OPTIONS_H_
#define SWITCHBOARD_BENCH_LOAD_OPTIONS_H_

#include <sys/types.h>

#include <string>

#include "absl/time/time.h"
#include "bench/bench_connection.h"

namespace switchboard::bench {

enum class Scenario {
  // One room holding every connection; a separate publisher connection.
  kBigRoom,
  // Rooms of `room_size`; a separate publisher round-robins over them.
  kManyRooms,
  // Every connection joins its room and publishes into it; acks measured.
  kPublishAcks,
  // As kManyRooms, but a third into the measured window every receiver drops
  // its TCP connection and reconnects within `reconnect_window`, resuming each
  // room with since_offset.
  kReconnectStorm,
  // No publishing: connections leave and re-join their room (Join with
  // presence=true) at `rate` joins per second (and as many leaves); Joined and
  // Left latencies measured (PresenceChurn).
  kPresenceChurn,
};

// Everything a LoadGenerator run needs; filled from flags by main.cc.
struct LoadOptions {
  Scenario scenario = Scenario::kManyRooms;
  std::string host = "127.0.0.1";
  int port = 8080;
  // Receiving connections (the publisher of big_room/many_rooms/reconnect_storm
  // comes on top).
  int connections = 1000;
  // Connections per room (many_rooms, publish_acks, reconnect_storm).
  int room_size = 100;
  // Published messages per second, in total over all rooms and publishers
  // (presence_churn: joins per second).
  double rate = 100;
  // Payload size; at least 16 (scheduled time, room index, sequence number).
  int message_bytes = 64;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
  // After the last publish: how long to wait for missing deliveries and acks.
  absl::Duration drain = absl::Seconds(5);
  // How long all connections may take to connect and join.
  absl::Duration connect_timeout = absl::Seconds(60);
  // Connections handshaking at once while ramping up.
  int connect_concurrency = 200;
  absl::Duration reconnect_window = absl::Seconds(2);
  // kRaw talks to a comparison server instead of a gateway (big_room only).
  WireFormat format = WireFormat::kProto;
  // HS256 secret the gateway verifies tokens with (unused with kRaw).
  std::string hs256_secret;
  // Prefix of room names; a random suffix keeps runs apart on a long-lived gateway.
  std::string room_prefix = "bench";
  // Gateway process to sample RSS/CPU from; 0 = skip.
  pid_t gateway_pid = 0;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_LOAD_OPTIONS_H_
