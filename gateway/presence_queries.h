#ifndef SWITCHBOARD_GATEWAY_PRESENCE_QUERIES_H_
#define SWITCHBOARD_GATEWAY_PRESENCE_QUERIES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "common/worker_pool.h"
#include "fanout/command_fanout.h"
#include "fanout/gateway_directory.h"

namespace switchboard::gateway {

class Connection;
class Worker;

// Answers clients' PresenceQuery frames with the presence of a room across
// the whole cluster: a PresenceSurvey goes to every gateway over the bus (this
// one included) and the replies are merged, exactly as the control plane's
// GetPresence does. The scatter-gather blocks, so it runs on a small pool of
// its own threads, never on a worker; the answer hops back to the
// connection's worker. When the pool's queue is full the client gets an
// UNAVAILABLE error instead of an unbounded queue. Thread-safe.
class PresenceQueries {
 public:
  // `nats` and `directory` must outlive this object.
  PresenceQueries(NatsConnection* nats, Subjects subjects,
                  const fanout::GatewayDirectory* directory, absl::Duration timeout);

  // Called on `conn`'s worker thread: answers frame `reply_id` of `conn` with
  // a PresenceSnapshot of `room` holding at most `limit` members (or an Error).
  void Query(const std::shared_ptr<Connection>& conn, uint64_t reply_id, std::string room,
             uint32_t limit);

 private:
  fanout::CommandFanout fanout_;
  absl::Duration timeout_;
  WorkerPool pool_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_PRESENCE_QUERIES_H_
