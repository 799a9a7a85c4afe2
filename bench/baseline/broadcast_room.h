#ifndef SWITCHBOARD_BENCH_BASELINE_BROADCAST_ROOM_H_
#define SWITCHBOARD_BENCH_BASELINE_BROADCAST_ROOM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"

namespace switchboard::bench::baseline {

class WebSocketSession;

// Every connected session of the baseline server, in one room: a message
// from any session goes to all the others (the load generator's publisher
// sends, everyone else receives). As in Beast's chat-multi example, each
// message is wrapped once in a shared_ptr<const std::string> and that buffer
// is queued on every session.
//
// Single-threaded: the server runs one io_context on one thread.
class BroadcastRoom {
 public:
  void Join(WebSocketSession* session) { sessions_.insert(session); }
  void Leave(WebSocketSession* session) { sessions_.erase(session); }
  // Queues `message` on every session but `from`.
  void Broadcast(const std::shared_ptr<const std::string>& message, WebSocketSession* from);

  size_t size() const { return sessions_.size(); }
  uint64_t messages() const { return messages_; }
  uint64_t deliveries() const { return deliveries_; }

 private:
  absl::flat_hash_set<WebSocketSession*> sessions_;
  uint64_t messages_ = 0;
  uint64_t deliveries_ = 0;
};

}  // namespace switchboard::bench::baseline

#endif  // SWITCHBOARD_BENCH_BASELINE_BROADCAST_ROOM_H_
