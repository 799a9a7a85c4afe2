#ifndef SWITCHBOARD_FANOUT_STREAM_OPTIONS_H_
#define SWITCHBOARD_FANOUT_STREAM_OPTIONS_H_

#include <cstdint>

#include "absl/time/time.h"

namespace switchboard::fanout {

// Configuration of the JetStream stream that holds persisted rooms. Every
// gateway and control process of a cluster must use the same values; the
// provisioner refuses to run against a stream configured differently.
struct StreamOptions {
  // Messages kept per room (MaxMsgsPerSubject): the resume window in messages.
  int64_t history_per_room = 1000;
  // Age after which messages are dropped (MaxAge): the resume window in time.
  // Zero keeps messages until history_per_room pushes them out.
  absl::Duration history_ttl = absl::Hours(24);
  // Window in which a repeated message id is recognised as a duplicate.
  absl::Duration dedupe_window = absl::Minutes(2);
  // File storage survives NATS restarts; memory storage is faster.
  bool file_storage = true;
  // Copies kept by a JetStream cluster (1 for a single server, 3 for HA).
  int replicas = 1;
  // Largest stored message, in bytes (the gateway's payload limit fits in it).
  int32_t max_message_bytes = 1 << 20;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_STREAM_OPTIONS_H_
