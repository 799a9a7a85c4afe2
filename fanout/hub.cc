#include "fanout/hub.h"

#include <deque>

#include "common/proto_time.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/nats_status.h"
#include "fanout/room_window.h"

namespace switchboard::fanout {

using switchboard::bus::v1::Publication;
using switchboard::client::v1::ServerFrame;
using gateway::FrameFormat;

namespace {

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

// Largest gap read back in one go; a longer outage is caught up in rounds.
constexpr size_t kFillBatch = 1000;
// Each room's window of recent messages: enough for the members of a room to
// resume after a few minutes of a typical room's traffic, small enough that
// 10,000 rooms stay within a few hundred MB even at the payload bound.
constexpr size_t kWindowMessages = 256;
constexpr size_t kWindowBytes = 64 * 1024;



}  // namespace

// A subscribed room. Interest counts are guarded by Hub::mu_; the delivery
// state by its own mutex, held while dispatching so that events leave in order
// even when a gap fill runs on another thread.
struct Hub::Room {
  Hub* hub = nullptr;
  std::string name;
  natsSubscription* live = nullptr;
  natsSubscription* eph = nullptr;
  // counts[sink][format]: workers' local members per frame format.
  std::vector<std::array<int, 2>> counts;
  std::atomic<bool> closed{false};

  absl::Mutex mu;
  uint64_t last_offset ABSL_GUARDED_BY(mu) = 0;
  bool have_last ABSL_GUARDED_BY(mu) = false;
  // While a gap is being read from the stream, live messages wait here.
  bool filling ABSL_GUARDED_BY(mu) = false;
  struct Held {
    StoredMessage message;
    uint64_t prev = 0;
    bool exact = false;  // prev came from a readable Nats-Last-Sequence
  };
  std::deque<Held> held ABSL_GUARDED_BY(mu);
  RoomWindow window ABSL_GUARDED_BY(mu){kWindowMessages, kWindowBytes};
};

namespace {

// The subscription callbacks' closure: keeps the Room alive until NATS.c
// says the subscription is finished (no callback can run after that).
struct RoomRef {
  std::shared_ptr<void> room;
};

void OnSubscriptionComplete(void* closure) { delete static_cast<RoomRef*>(closure); }

}  // namespace

Hub::Hub(NatsConnection* nats, Subjects subjects, std::vector<Sink*> sinks,
         HistoryReader* history)
    : nats_(nats), subjects_(std::move(subjects)), sinks_(std::move(sinks)), history_(history) {}

Hub::~Hub() { Stop(); }

void Hub::Stop() {
  absl::flat_hash_map<std::string, std::shared_ptr<Room>> rooms;
  {
    absl::MutexLock lock(&mu_);
    rooms.swap(rooms_);
  }
  for (auto& [name, room] : rooms) {
    room->closed.store(true);
    natsSubscription_Unsubscribe(room->live);
    natsSubscription_Unsubscribe(room->eph);
    natsSubscription_Destroy(room->live);
    natsSubscription_Destroy(room->eph);
  }
}

size_t Hub::rooms() const {
  absl::MutexLock lock(&mu_);
  return rooms_.size();
}

absl::Status Hub::AddInterest(const std::string& name, int sink, FrameFormat format) {
  absl::MutexLock lock(&mu_);
  auto it = rooms_.find(name);
  if (it == rooms_.end()) {
    auto room = std::make_shared<Room>();
    room->hub = this;
    room->name = name;
    room->counts.resize(sinks_.size(), {0, 0});
    const std::string live_subject = subjects_.Room(name);
    const std::string eph_subject = subjects_.Ephemeral(name);
    auto* live_ref = new RoomRef{room};
    natsStatus s = natsConnection_Subscribe(&room->live, nats_->raw(), live_subject.c_str(),
                                            &Hub::OnLive, live_ref);
    if (s == NATS_OK) {
      natsSubscription_SetOnCompleteCB(room->live, &OnSubscriptionComplete, live_ref);
    } else {
      delete live_ref;
      return FromNatsStatus(s, absl::StrCat("subscribe ", live_subject));
    }
    // No pending limits on the live subject: a persisted message must never be
    // dropped between NATS.c and the gateway (slow clients are handled per
    // connection instead).
    natsSubscription_SetPendingLimits(room->live, -1, -1);
    auto* eph_ref = new RoomRef{room};
    s = natsConnection_Subscribe(&room->eph, nats_->raw(), eph_subject.c_str(),
                                 &Hub::OnEphemeral, eph_ref);
    if (s == NATS_OK) {
      natsSubscription_SetOnCompleteCB(room->eph, &OnSubscriptionComplete, eph_ref);
    } else {
      delete eph_ref;
      natsSubscription_Unsubscribe(room->live);
      natsSubscription_Destroy(room->live);
      return FromNatsStatus(s, absl::StrCat("subscribe ", eph_subject));
    }
    // Joined must mean "subscribed": a round trip makes sure the server has
    // the subscription before the member is told, so that an ephemeral
    // message published right after the join is not missed.
    natsConnection_FlushTimeout(nats_->raw(), 2000);
    it = rooms_.emplace(name, std::move(room)).first;
  }
  it->second->counts[sink][static_cast<int>(format)]++;
  return absl::OkStatus();
}

void Hub::RemoveInterest(const std::string& name, int sink, FrameFormat format) {
  std::shared_ptr<Room> gone;
  {
    absl::MutexLock lock(&mu_);
    auto it = rooms_.find(name);
    if (it == rooms_.end()) return;
    Room& room = *it->second;
    int& count = room.counts[sink][static_cast<int>(format)];
    if (count > 0) --count;
    for (const auto& c : room.counts) {
      if (c[0] > 0 || c[1] > 0) return;
    }
    gone = std::move(it->second);
    rooms_.erase(it);
  }
  gone->closed.store(true);
  natsSubscription_Unsubscribe(gone->live);
  natsSubscription_Unsubscribe(gone->eph);
  natsSubscription_Destroy(gone->live);
  natsSubscription_Destroy(gone->eph);
}

void Hub::Targets(const Room& room, bool formats[2], std::vector<Sink*>& sinks) {
  absl::MutexLock lock(&mu_);
  formats[0] = formats[1] = false;
  for (size_t i = 0; i < room.counts.size(); ++i) {
    const auto& c = room.counts[i];
    if (c[0] > 0 || c[1] > 0) sinks.push_back(sinks_[i]);
    formats[0] |= c[0] > 0;
    formats[1] |= c[1] > 0;
  }
}

void Hub::OnLive(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  MsgPtr msg(raw);
  auto room = std::static_pointer_cast<Room>(static_cast<RoomRef*>(closure)->room);
  if (room->closed.load()) return;
  room->hub->received_.fetch_add(1, std::memory_order_relaxed);
  room->hub->HandleLive(*room, msg.get());
}

void Hub::OnEphemeral(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  MsgPtr msg(raw);
  auto room = std::static_pointer_cast<Room>(static_cast<RoomRef*>(closure)->room);
  if (room->closed.load()) return;
  room->hub->received_.fetch_add(1, std::memory_order_relaxed);
  room->hub->HandleEphemeral(*room, msg.get());
}

void Hub::HandleLive(Room& room, natsMsg* msg) {
  auto stored = ParseStored(msg);
  if (!stored.ok()) {
    SB_LOG_WARN("room {}: dropping undecodable message: {}", room.name,
                stored.status().ToString());
    return;
  }
  uint64_t prev = 0;
  const char* value = nullptr;
  bool exact = false;
  if (natsMsgHeader_Get(msg, "Nats-Last-Sequence", &value) == NATS_OK && value != nullptr) {
    // Unreadable: treated as absent (no gap check for this message).
    exact = absl::SimpleAtoi(value, &prev);
    if (!exact) prev = 0;
  }

  absl::MutexLock lock(&room.mu);
  if (room.filling) {
    room.held.push_back({std::move(*stored), prev, exact});
    return;
  }
  if (room.have_last && stored->offset <= room.last_offset) return;  // repeat
  if (room.have_last && prev > room.last_offset) {
    // Messages between what we delivered and this one never reached us: read
    // them from the stream before anything newer goes out.
    room.filling = true;
    room.held.push_back({std::move(*stored), prev, exact});
    std::shared_ptr<Room> keep;
    {
      absl::MutexLock hub_lock(&mu_);
      auto it = rooms_.find(room.name);
      if (it != rooms_.end() && it->second.get() == &room) keep = it->second;
    }
    if (keep == nullptr) return;  // room is going away
    history_->Run([this, keep] { Fill(keep); });
    return;
  }
  DispatchPersisted(room, *stored, prev, exact);
}

void Hub::Fill(const std::shared_ptr<Room>& room) {
  while (true) {
    uint64_t from;
    {
      absl::MutexLock l(&room->mu);
      from = room->last_offset;
    }
    auto missing = history_->ReadAfter(room->name, from, kFillBatch);
    absl::MutexLock l(&room->mu);
    if (!missing.ok()) {
      // The stream is unreachable: deliver what we have; members whose
      // cursor falls behind catch up by themselves later, and the tail is
      // checked again.
      SB_LOG_WARN("room {}: gap fill failed: {}", room->name, missing.status().ToString());
      tail_recheck_.store(true);
    } else {
      for (const StoredMessage& m : *missing) {
        if (m.offset <= room->last_offset) continue;
        if (!room->held.empty() && m.offset >= room->held.front().message.offset) break;
        DispatchPersisted(*room, m, room->last_offset);
      }
      if (missing->size() == kFillBatch &&
          (room->held.empty() || room->last_offset < room->held.front().prev)) {
        continue;  // more to read before the held messages (or the end)
      }
    }
    while (!room->held.empty()) {
      Room::Held h = std::move(room->held.front());
      room->held.pop_front();
      if (h.message.offset <= room->last_offset) continue;
      DispatchPersisted(*room, h.message, h.prev, h.exact);
    }
    room->filling = false;
    return;
  }
}

void Hub::CheckTails() {
  std::vector<std::shared_ptr<Room>> rooms;
  {
    absl::MutexLock lock(&mu_);
    rooms.reserve(rooms_.size());
    for (const auto& [name, room] : rooms_) rooms.push_back(room);
  }
  for (auto& room : rooms) {
    history_->Run([this, room = std::move(room)] { CheckTail(room); });
  }
}

void Hub::CheckTail(const std::shared_ptr<Room>& room) {
  if (room->closed.load()) return;
  auto last = history_->LastOffset(room->name);
  if (!last.ok()) {
    SB_LOG_WARN("room {}: tail check failed: {}", room->name, last.status().ToString());
    tail_recheck_.store(true);
    return;
  }
  bool fill = false;
  {
    absl::MutexLock lock(&room->mu);
    // A fill in progress was started by a message newer than the outage, and
    // reads everything before it.
    if (room->filling || room->closed.load()) return;
    if (room->have_last) {
      if (*last <= room->last_offset) return;
      room->filling = fill = true;
    } else if (*last == 0) {
      return;
    }
  }
  if (fill) {
    Fill(room);
    return;
  }
  // Nothing was delivered since the room was subscribed, so the hub does not
  // know where its members stand (each started where its join read the
  // stream). Hand out the newest message with the most conservative previous
  // offset, offset - 1: a member that may lack anything before it reads the
  // gap from the stream itself.
  auto newest = history_->ReadAfter(room->name, *last - 1, 1);
  if (!newest.ok()) {
    SB_LOG_WARN("room {}: tail check failed: {}", room->name, newest.status().ToString());
    tail_recheck_.store(true);
    return;
  }
  if (newest->empty()) return;
  absl::MutexLock lock(&room->mu);
  const StoredMessage& m = newest->front();
  if (room->filling || room->closed.load() || (room->have_last && m.offset <= room->last_offset)) {
    return;  // live traffic got there first
  }
  DispatchPersisted(*room, m, m.offset - 1, /*exact=*/false);
}

std::shared_ptr<Hub::Room> Hub::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second;
}

std::optional<Hub::WindowRead> Hub::ReadWindow(const std::string& name, uint64_t after,
                                               size_t limit, size_t max_bytes) {
  std::shared_ptr<Room> room = Find(name);
  if (room == nullptr) return std::nullopt;
  absl::MutexLock lock(&room->mu);
  auto slice = room->window.Read(after, limit, max_bytes);
  if (!slice.has_value()) return std::nullopt;
  window_hits_.fetch_add(1, std::memory_order_relaxed);
  return WindowRead{std::move(slice->messages), slice->head};
}

absl::StatusOr<std::vector<StoredMessage>> Hub::ReadAfter(const std::string& name,
                                                          uint64_t after, size_t limit,
                                                          size_t max_bytes) {
  // The room as it is now: its subscription was in place (flushed) before it
  // was listed, so a read made after this point misses nothing that the
  // subscription will not deliver.
  std::shared_ptr<Room> room = Find(name);
  if (room != nullptr) {
    absl::MutexLock lock(&room->mu);
    auto slice = room->window.Read(after, limit, max_bytes);
    if (slice.has_value()) {
      window_hits_.fetch_add(1, std::memory_order_relaxed);
      return std::move(slice->messages);
    }
  }
  window_misses_.fetch_add(1, std::memory_order_relaxed);
  auto read = history_->ReadAfter(name, after, limit, max_bytes);
  if (!read.ok() || room == nullptr) return read;
  size_t bytes = 0;
  for (const StoredMessage& m : *read) bytes += m.publication.payload().ByteSizeLong();
  // Only a read that reached the stream's end joins the window: a truncated
  // one says nothing about what follows it.
  if (read->size() < limit && bytes < max_bytes) {
    absl::MutexLock lock(&room->mu);
    if (!room->closed.load()) room->window.Merge(after, *read);
  }
  return read;
}

void Hub::DispatchPersisted(Room& room, const StoredMessage& stored, uint64_t prev, bool exact) {
  room.mu.AssertHeld();  // every caller holds it (Room is incomplete in hub.h)
  room.have_last = true;
  room.last_offset = stored.offset;
  if (exact) {
    room.window.Append(std::make_shared<const StoredMessage>(stored), prev);
  } else if (!room.window.valid() || stored.offset > room.window.head()) {
    room.window.Invalidate();  // the run cannot be extended across it
  }
  auto event = std::make_shared<RoomEvent>();
  event->room = room.name;
  event->kind = RoomEvent::Kind::kPersisted;
  event->offset = stored.offset;
  event->prev = prev;
  const Publication& pub = stored.publication;
  event->origin_time = FromProto(pub.time());
  event->sender_connection_id = pub.sender().connection_id();

  ServerFrame frame;
  auto* message = frame.mutable_message();
  message->set_room(room.name);
  message->set_offset(stored.offset);
  message->set_message_id(pub.message_id());
  *message->mutable_sender() = pub.sender();
  if (stored.stored_at != absl::Time()) {
    ToProto(stored.stored_at, message->mutable_time());
  } else {
    *message->mutable_time() = pub.time();
  }
  *message->mutable_payload() = pub.payload();

  Broadcast(room, frame, std::move(event));
}

void Hub::Broadcast(const Room& room, const ServerFrame& frame,
                    std::shared_ptr<RoomEvent> event) {
  std::vector<Sink*> sinks;
  bool formats[2];
  Targets(room, formats, sinks);
  // Encoded once per format that a member uses, shared by every member.
  for (int f = 0; f < 2; ++f) {
    if (formats[f]) event->frames.by_format[f] = gateway::EncodeSharedFrame(frame, FrameFormat(f));
  }
  RoomEventPtr shared = std::move(event);
  for (Sink* sink : sinks) sink->Deliver(shared);
}

void Hub::HandleEphemeral(Room& room, natsMsg* msg) {
  Publication pub;
  if (!pub.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
    SB_LOG_WARN("room {}: dropping undecodable ephemeral message", room.name);
    return;
  }
  auto event = std::make_shared<RoomEvent>();
  event->room = room.name;
  event->origin_time = FromProto(pub.time());
  event->sender_connection_id = pub.sender().connection_id();
  ServerFrame frame;
  if (pub.has_presence()) {
    event->kind = RoomEvent::Kind::kPresence;
    *frame.mutable_presence() = pub.presence();
    frame.mutable_presence()->set_room(room.name);
  } else if (pub.has_ephemeral()) {
    event->kind = RoomEvent::Kind::kEphemeral;
    auto* e = frame.mutable_ephemeral();
    e->set_room(room.name);
    e->set_type(pub.ephemeral().type());
    e->set_name(pub.ephemeral().name());
    *e->mutable_sender() = pub.sender();
    *e->mutable_time() = pub.time();
    *e->mutable_payload() = pub.payload();
  } else {
    // A message of an ephemeral room: same frame as persisted, no offset.
    event->kind = RoomEvent::Kind::kEphemeral;
    event->sender_connection_id.clear();  // room messages echo to their sender
    auto* m = frame.mutable_message();
    m->set_room(room.name);
    m->set_message_id(pub.message_id());
    *m->mutable_sender() = pub.sender();
    *m->mutable_time() = pub.time();
    *m->mutable_payload() = pub.payload();
  }
  Broadcast(room, frame, std::move(event));
}

}  // namespace switchboard::fanout
