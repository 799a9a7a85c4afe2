#ifndef SWITCHBOARD_GATEWAY_GATEWAY_CONTEXT_H_
#define SWITCHBOARD_GATEWAY_GATEWAY_CONTEXT_H_

#include <atomic>
#include <string>

#include "common/nats_connection.h"
#include "common/subjects.h"
#include "fanout/bus_publisher.h"
#include "fanout/history_reader.h"
#include "fanout/hub.h"
#include "gateway/auth/token_verifier.h"
#include "gateway/connection_limiter.h"
#include "gateway/gateway_options.h"

namespace switchboard::gateway {

class SessionDirectory;
class BanList;
class PresenceQueries;

// What every worker shares: configuration and the process-wide services. All
// members are set before the first worker starts and outlive the last one;
// each pointee is thread-safe (or immutable).
struct GatewayContext {
  const GatewayOptions* options = nullptr;
  Subjects subjects;
  NatsConnection* nats = nullptr;
  const auth::TokenVerifier* verifier = nullptr;
  fanout::Hub* hub = nullptr;
  fanout::BusPublisher* publisher = nullptr;
  fanout::HistoryReader* history = nullptr;
  ConnectionLimiter* limiter = nullptr;
  SessionDirectory* sessions = nullptr;
  BanList* bans = nullptr;
  // Cluster-wide presence for clients' PresenceQuery frames.
  PresenceQueries* presence_queries = nullptr;
  std::atomic<bool> draining{false};
  // Random per process: part of every connection id, so that ids stay unique
  // when a gateway restarts under the same --gateway_id.
  std::string instance_tag;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_GATEWAY_CONTEXT_H_
