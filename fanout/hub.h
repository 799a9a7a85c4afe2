#ifndef SWITCHBOARD_FANOUT_HUB_H_
#define SWITCHBOARD_FANOUT_HUB_H_

#include <nats/nats.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "fanout/history_reader.h"
#include "fanout/room_event.h"
#include "gateway/codec/frame_codec.h"

namespace switchboard::fanout {

// Connects a gateway's workers to the bus. A room is subscribed on NATS
// ("<prefix>.room.<room>" and "<prefix>.eph.<room>") while at least one worker
// has a local member in it and not otherwise: a gateway never receives traffic
// for rooms it does not host. Each incoming message is decoded once, encoded
// once per frame format some member uses, and handed to the interested
// workers' sinks as one shared RoomEvent.
//
// Persisted rooms are delivered in offset order with no gap: the hub checks
// each message's Nats-Last-Sequence against the last offset it delivered for
// the room, reads what is missing from the stream first (a NATS hiccup, a
// reconnect), and drops repeats.
//
// Thread-safety: AddInterest/RemoveInterest from any worker thread; NATS.c
// calls the message handlers on its delivery threads (one subscription's
// messages in order, on one thread at a time).
class Hub {
 public:
  // Receives one worker's events. Deliver() is called on NATS threads and must
  // only hand the event over (post it), never touch sessions.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void Deliver(RoomEventPtr event) = 0;
  };

  Hub(NatsConnection* nats, Subjects subjects, std::vector<Sink*> sinks, HistoryReader* history);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Worker `sink` has its first local member of `room` using `format`.
  // Subscribes the room when it is new to the gateway.
  absl::Status AddInterest(const std::string& room, int sink, gateway::FrameFormat format);
  // Worker `sink` has no member of `room` using `format` any more.
  // Unsubscribes the room when no worker needs it.
  void RemoveInterest(const std::string& room, int sink, gateway::FrameFormat format);

  // The NATS connection is back. Messages republished while it was down never
  // arrived, and a gap is otherwise only seen when a room's next message
  // comes: reads each subscribed room's newest offset (on the history threads)
  // and delivers what is missing, so that a connected member gets the tail of
  // an outage without waiting for more traffic. Returns at once.
  void CheckTails();
  // Whether a tail check could not read a room since the last call (the
  // stream was not reachable yet); the caller checks again later.
  bool TakeTailRecheck() { return tail_recheck_.exchange(false); }

  // Rooms subscribed now, and NATS messages received (for tests and metrics).
  size_t rooms() const;
  uint64_t messages_received() const { return received_.load(std::memory_order_relaxed); }

  // Closes every subscription; afterwards no sink is called.
  void Stop();

 private:
  struct Room;
  struct Subscription;

  static void OnLive(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void OnEphemeral(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  void HandleLive(Room& room, natsMsg* msg);
  void HandleEphemeral(Room& room, natsMsg* msg);
  // Reads the room's missing messages from the stream after last_offset, up to
  // the held live messages (or the stream's end when none are held), then
  // releases the held ones. On a history thread; room.filling is set.
  void Fill(const std::shared_ptr<Room>& room);
  // One room's part of CheckTails(), on a history thread.
  void CheckTail(const std::shared_ptr<Room>& room);
  // Builds and dispatches the event of one stored message.
  // Called with room.mu held.
  void DispatchPersisted(Room& room, const StoredMessage& stored, uint64_t prev);
  // Formats and sinks interested in `room` now.
  void Targets(const Room& room, bool formats[2], std::vector<Sink*>& sinks);

  NatsConnection* nats_;
  Subjects subjects_;
  std::vector<Sink*> sinks_;
  HistoryReader* history_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Room>> rooms_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> received_{0};
  std::atomic<bool> tail_recheck_{false};
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_HUB_H_
