#ifndef SWITCHBOARD_FANOUT_HUB_H_
#define SWITCHBOARD_FANOUT_HUB_H_

#include <nats/nats.h>

#include <array>
#include <memory>
#include <optional>
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
// Each subscribed room also keeps a window of its recent messages, a run
// (window_prev, newest] known to hold every message of the room in that range,
// fed by what the hub dispatches and by catch-up reads from the stream. A
// catch-up that starts inside the window (a reconnect storm: many members of
// a room resuming from about the same offset) is served from memory instead
// of one stream read per member.
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

  // Messages of `room` with offset > `after`, for a member catching up: at
  // most `limit`, stopping after the message that reaches `max_bytes` of
  // payload. Served from the room's window when it covers `after`, else read
  // from the stream (HistoryReader::ReadAfter), and a read that reached the
  // stream's end extends the window. Blocks for stream reads: call it on a
  // history thread. The room should be subscribed (a member is in it);
  // otherwise this is a plain stream read.
  absl::StatusOr<std::vector<StoredMessage>> ReadAfter(const std::string& room, uint64_t after,
                                                       size_t limit, size_t max_bytes);
  // What the window holds after `after`, when it covers `after`.
  struct WindowRead {
    std::vector<StoredMessage> messages;  // offset > after, bounded as ReadAfter
    // The window's newest offset. Every later message of the room will be
    // dispatched live, so a member that has everything up to it may go live.
    uint64_t head = 0;
  };
  // Never blocks. nullopt when the window does not cover `after` (or the room
  // is not subscribed): read the stream instead.
  std::optional<WindowRead> ReadWindow(const std::string& room, uint64_t after, size_t limit,
                                       size_t max_bytes);
  // Catch-ups served from windows, and catch-up reads that went to the stream
  // (for tests and the storm benchmark's analysis).
  uint64_t window_hits() const { return window_hits_.load(std::memory_order_relaxed); }
  uint64_t window_misses() const { return window_misses_.load(std::memory_order_relaxed); }

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
  // Builds and dispatches the event of one stored message. `prev` is the
  // room's previous offset when `exact`, else only a bound (the window is
  // then restarted at the next exact one). Called with room.mu held.
  void DispatchPersisted(Room& room, const StoredMessage& stored, uint64_t prev,
                         bool exact = true);
  std::shared_ptr<Room> Find(const std::string& name) const;
  // Formats and sinks interested in `room` now.
  void Targets(const Room& room, bool formats[2], std::vector<Sink*>& sinks);
  // Encodes `frame` once per format a member of `room` uses and hands the
  // shared `event` to every interested sink.
  void Broadcast(const Room& room, const client::v1::ServerFrame& frame,
                 std::shared_ptr<RoomEvent> event);

  NatsConnection* nats_;
  Subjects subjects_;
  std::vector<Sink*> sinks_;
  HistoryReader* history_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Room>> rooms_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> received_{0};
  std::atomic<bool> tail_recheck_{false};
  std::atomic<uint64_t> window_hits_{0};
  std::atomic<uint64_t> window_misses_{0};
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_HUB_H_
