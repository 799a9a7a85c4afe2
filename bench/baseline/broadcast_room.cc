#include "bench/baseline/broadcast_room.h"

#include "bench/baseline/websocket_session.h"

namespace switchboard::bench::baseline {

void BroadcastRoom::Broadcast(const std::shared_ptr<const std::string>& message,
                              WebSocketSession* from) {
  ++messages_;
  for (WebSocketSession* session : sessions_) {
    if (session == from) continue;
    session->Send(message);
    ++deliveries_;
  }
}

}  // namespace switchboard::bench::baseline
