#include "gateway/local_rooms.h"

#include "common/proto_time.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/room_name.h"
#include "gateway/codec/shared_frame.h"
#include "gateway/connection.h"
#include "gateway/worker.h"

namespace switchboard::gateway {

namespace cv1 = switchboard::client::v1;
using fanout::RoomEvent;
using fanout::StoredMessage;

namespace {

// Messages read from the stream per round while catching a member up, and
// the payload bytes per round: a round must fit in a send queue with room to
// spare, or a resume would end in a slow-consumer close every time.
constexpr size_t kCatchUpBatch = 500;
constexpr size_t kCatchUpBytes = 128 * 1024;
// Payload bytes per MessageBatch frame.
constexpr size_t kBatchFrameBytes = 32 * 1024;


void ToMessage(const std::string& room, const StoredMessage& stored, cv1::Message* out) {
  out->set_room(room);
  out->set_offset(stored.offset);
  out->set_message_id(stored.publication.message_id());
  *out->mutable_sender() = stored.publication.sender();
  if (stored.stored_at != absl::Time()) {
    ToProto(stored.stored_at, out->mutable_time());
  } else {
    *out->mutable_time() = stored.publication.time();
  }
  *out->mutable_payload() = stored.publication.payload();
}

// What the history threads found out about a join.
struct JoinStart {
  uint64_t latest = 0;     // room's newest offset
  uint64_t cursor = 0;     // member starts after this
  bool recovered = true;
  std::vector<StoredMessage> first_batch;
};

}  // namespace

LocalRooms::LocalRooms(Worker& worker)
    : worker_(worker),
      presence_(worker.ctx().publisher, worker.ctx().options != nullptr
                                            ? worker.ctx().options->presence_leave_delay
                                            : absl::ZeroDuration()) {}
LocalRooms::~LocalRooms() = default;

LocalRooms::Room* LocalRooms::FindOrCreate(const std::string& name, Connection* conn,
                                           uint64_t reply_id) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) {
    auto room = std::make_unique<Room>();
    room->name = name;
    room->ephemeral = IsEphemeralRoom(name);
    it = rooms_.emplace(name, std::move(room)).first;
  }
  Room& room = *it->second;
  const int f = static_cast<int>(conn->format());
  if (room.format_counts[f] == 0) {
    absl::Status s = worker_.ctx().hub->AddInterest(name, worker_.index(), conn->format());
    if (!s.ok()) {
      conn->session().SendError(reply_id, cv1::ERROR_CODE_UNAVAILABLE,
                                absl::StrCat("cannot subscribe: ", s.message()), name);
      RemoveRoomIfEmpty(name);
      return nullptr;
    }
  }
  room.format_counts[f]++;
  return &room;
}

void LocalRooms::RemoveRoomIfEmpty(const std::string& name) {
  auto it = rooms_.find(name);
  if (it != rooms_.end() && it->second->members.empty()) rooms_.erase(it);
}

LocalRooms::Member* LocalRooms::FindMember(Room& room, uint64_t token) {
  for (Member& m : room.members) {
    if (m.token == token) return &m;
  }
  return nullptr;
}

void LocalRooms::Join(Connection* conn, JoinRequest request) {
  Room* room = FindOrCreate(request.room, conn, request.reply_id);
  if (room == nullptr) {
    // Not subscribed (the Error was sent): undo the session's bookkeeping.
    conn->session().AbortJoin(request.room);
    return;
  }
  Member member;
  member.conn = conn;
  member.token = next_token_++;
  member.presence = request.presence;
  member.meta = std::move(request.meta);
  member.joined_at_us = absl::ToUnixMicros(absl::Now());
  if (room->ephemeral) {
    member.live = true;
    room->members.push_back(std::move(member));
    cv1::ServerFrame frame;
    frame.set_id(request.reply_id);
    frame.mutable_joined()->set_room(request.room);
    frame.mutable_joined()->set_kind(cv1::ROOM_KIND_EPHEMERAL);
    // Nothing of an ephemeral room is ever recovered (recovered is for resumes).
    frame.mutable_joined()->set_recovered(false);
    conn->session().SendFrame(frame, MessageClass::kControl);
    Announce(*room, room->members.back());
    return;
  }
  member.reading = true;
  const uint64_t token = member.token;
  room->members.push_back(std::move(member));

  // Answers the join once its start is known (on the worker thread).
  auto finish = [](Worker* worker, uint64_t token, const JoinRequest& request,
                   absl::StatusOr<JoinStart> start) {
    LocalRooms& rooms = worker->rooms();
    auto it = rooms.rooms_.find(request.room);
    if (it == rooms.rooms_.end()) return;
    Room& room = *it->second;
    Member* member = rooms.FindMember(room, token);
    if (member == nullptr) return;  // left or closed meanwhile
    Session& session = member->conn->session();
    if (!start.ok()) {
      session.SendError(request.reply_id, cv1::ERROR_CODE_UNAVAILABLE,
                        absl::StrCat("cannot read the room: ", start.status().message()),
                        request.room);
      Connection* conn = member->conn;
      conn->session().AbortJoin(request.room);
      return;
    }
    member->reading = false;
    member->cursor = start->cursor;
    member->target = start->latest;
    cv1::ServerFrame frame;
    frame.set_id(request.reply_id);
    auto* joined = frame.mutable_joined();
    joined->set_room(request.room);
    joined->set_offset(start->latest);
    // A resume's answer only (protocol.md §5.3): a plain join recovers nothing.
    joined->set_recovered(request.since_offset.has_value() && start->recovered);
    joined->set_kind(cv1::ROOM_KIND_PERSISTED);
    session.SendFrame(frame, MessageClass::kControl);
    rooms.Announce(room, *member);
    rooms.SendBatch(*member, room.name, start->first_batch);
    rooms.CatchUp(room, *member);
  };

  Worker* worker = &worker_;
  fanout::Hub* hub = worker_.ctx().hub;
  // A resume from inside the room's window of recent messages (what most
  // resumes are, and all of a reconnect storm's) needs no stream read: answer
  // it here. The window holds every message after since_offset, so nothing is
  // skipped and the resume is recovered.
  if (request.since_offset.has_value() && *request.since_offset > 0) {
    auto window = hub->ReadWindow(request.room, *request.since_offset, kCatchUpBatch,
                                  kCatchUpBytes);
    if (window.has_value()) {
      JoinStart start;
      start.latest = window->head;
      start.cursor = *request.since_offset;
      start.first_batch = std::move(window->messages);
      finish(worker, token, request, std::move(start));
      return;
    }
  }

  // Where the member starts needs stream reads: off the worker thread.
  fanout::HistoryReader* history = worker_.ctx().history;
  history->Run([worker, history, hub, token, finish, request = std::move(request)]() {
    absl::StatusOr<JoinStart> start = [&]() -> absl::StatusOr<JoinStart> {
      JoinStart s;
      auto latest = history->LastOffset(request.room);
      if (!latest.ok()) return latest.status();
      s.latest = *latest;
      if (request.since_offset.has_value()) {
        const uint64_t since = *request.since_offset;
        s.cursor = std::min(since, s.latest);
        if (since > s.latest) {
          s.recovered = false;  // an offset this room never had (or purged)
        } else if (since > 0 && since < s.latest) {
          auto retained = history->IsRetained(request.room, since);
          if (!retained.ok()) return retained.status();
          s.recovered = *retained;
        }
        // Through the hub: the read teaches the room's window, so the
        // members resuming after this one are answered from memory.
        auto batch = hub->ReadAfter(request.room, s.cursor, kCatchUpBatch, kCatchUpBytes);
        if (!batch.ok()) return batch.status();
        s.first_batch = std::move(*batch);
      } else if (request.history_limit > 0) {
        auto batch = history->ReadLatest(request.room, request.history_limit, kCatchUpBytes);
        if (!batch.ok()) return batch.status();
        s.first_batch = std::move(*batch);
        s.cursor = s.first_batch.empty() ? s.latest : s.first_batch.front().offset - 1;
      } else {
        s.cursor = s.latest;
      }
      return s;
    }();
    worker->Post([worker, token, finish, request, start = std::move(start)]() mutable {
      finish(worker, token, request, std::move(start));
    });
  });
}

void LocalRooms::SendBatch(Member& member, const std::string& room,
                           const std::vector<StoredMessage>& messages) {
  cv1::ServerFrame frame;
  size_t bytes = 0;
  auto flush = [&] {
    if (frame.batch().messages_size() == 0) return;
    member.conn->session().SendFrame(frame, MessageClass::kPersisted);
    frame.Clear();
    bytes = 0;
  };
  for (const StoredMessage& m : messages) {
    if (m.offset <= member.cursor) continue;
    ToMessage(room, m, frame.mutable_batch()->add_messages());
    member.cursor = m.offset;
    bytes += m.publication.payload().ByteSizeLong();
    if (bytes >= kBatchFrameBytes) flush();
  }
  flush();
}

void LocalRooms::CatchUp(Room& room, Member& member) {
  if (member.reading || !member.conn->open()) return;
  if (member.cursor >= std::max(room.live_head, member.target)) {
    member.live = true;
    return;
  }
  member.live = false;
  const size_t queue_limit = worker_.ctx().options->limits.max_queue_bytes;
  if (member.conn->queued_bytes() > queue_limit / 2) {
    // Let the client read what it has first; RetryDeferred picks this up.
    deferred_.emplace_back(room.name, member.token);
    return;
  }
  const uint64_t token = member.token;
  const uint64_t after = member.cursor;
  fanout::Hub* hub = worker_.ctx().hub;
  // Inside the room's window: no stream read, no trip to a history thread.
  if (auto window = hub->ReadWindow(room.name, after, kCatchUpBatch, kCatchUpBytes)) {
    OnRead(room.name, token, std::move(window->messages));
    return;
  }
  member.reading = true;
  Worker* worker = &worker_;
  std::string name = room.name;
  worker_.ctx().history->Run([worker, hub, token, after, name]() {
    auto messages = hub->ReadAfter(name, after, kCatchUpBatch, kCatchUpBytes);
    worker->Post([worker, token, name, messages = std::move(messages)]() mutable {
      worker->rooms().OnRead(name, token, std::move(messages));
    });
  });
}

void LocalRooms::OnTick(int64_t now_us) {
  RetryDeferred();
  presence_.PublishDue(now_us);
}

cv1::PresenceInfo LocalRooms::InfoOf(const Member& member) const {
  cv1::PresenceInfo info;
  const Session& session = member.conn->session();
  info.set_user_id(session.user_id());
  info.set_connection_id(session.connection_id());
  if (member.meta != nullptr) *info.mutable_meta() = *member.meta;
  ToProto(absl::FromUnixMicros(member.joined_at_us), info.mutable_joined_at());
  info.set_gateway_id(worker_.ctx().options->gateway_id);
  return info;
}

void LocalRooms::Announce(const Room& room, Member& member) {
  member.announced = true;
  presence_.Joined(room.name, InfoOf(member));
}

std::vector<cv1::PresenceInfo> LocalRooms::PresenceOf(const std::string& name) const {
  std::vector<cv1::PresenceInfo> out;
  auto it = rooms_.find(name);
  if (it != rooms_.end()) {
    for (const Member& m : it->second->members) {
      if (m.announced) out.push_back(InfoOf(m));
    }
  }
  presence_.AppendPending(name, &out);
  return out;
}

void LocalRooms::OnGatewayLost(const std::string& gateway_id, absl::Time restarted_at) {
  for (const auto& [name, room] : rooms_) {
    cv1::ServerFrame frame;
    auto* event = frame.mutable_presence();
    event->set_room(name);
    event->set_change(cv1::PRESENCE_CHANGE_GATEWAY_LOST);
    event->mutable_info()->set_gateway_id(gateway_id);
    if (restarted_at != absl::InfinitePast()) {
      ToProto(restarted_at, event->mutable_info()->mutable_joined_at());
    }
    SharedFrame encoded[2];
    for (const Member& m : room->members) {
      if (!m.presence || m.reading) continue;
      const int f = static_cast<int>(m.conn->format());
      if (encoded[f] == nullptr) encoded[f] = EncodeSharedFrame(frame, m.conn->format());
      m.conn->Send(encoded[f], MessageClass::kPresence);
    }
  }
}

void LocalRooms::ReannounceAll() {
  for (const auto& [name, room] : rooms_) {
    for (const Member& m : room->members) {
      if (m.announced) presence_.Joined(name, InfoOf(m));
    }
  }
}

void LocalRooms::RetryDeferred() {
  std::vector<std::pair<std::string, uint64_t>> deferred;
  deferred.swap(deferred_);
  for (const auto& [name, token] : deferred) {
    auto it = rooms_.find(name);
    if (it == rooms_.end()) continue;
    if (Member* m = FindMember(*it->second, token)) CatchUp(*it->second, *m);
  }
}

void LocalRooms::OnRead(const std::string& room_name, uint64_t token,
                        absl::StatusOr<std::vector<StoredMessage>> messages) {
  auto it = rooms_.find(room_name);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  Member* member = FindMember(room, token);
  if (member == nullptr) return;
  member->reading = false;
  if (!messages.ok()) {
    // The stream is unreachable: the client must resume later from its offset.
    SB_LOG_WARN("room {}: catch-up read failed: {}", room_name, messages.status().ToString());
    member->conn->Close(static_cast<uint16_t>(cv1::CLOSE_CODE_SLOW_CONSUMER),
                        "could not catch up: resume from your last offset");
    return;
  }
  const uint64_t before = member->cursor;
  SendBatch(*member, room_name, *messages);
  if (member->cursor == before && messages->empty()) {
    // Nothing after the cursor is stored: the stream stores before it
    // republishes, so every live event seen so far was read. Go live; the next
    // live event's prev shows whether anything is still missing.
    member->target = member->cursor;
    member->live = true;
    return;
  }
  CatchUp(room, *member);
}

void LocalRooms::Leave(Connection* conn, const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  for (size_t i = 0; i < room.members.size(); ++i) {
    if (room.members[i].conn != conn) continue;
    if (room.members[i].announced) {
      presence_.Left(name, InfoOf(room.members[i]), worker_.NowMicros());
    }
    room.members[i] = std::move(room.members.back());
    room.members.pop_back();
    const int f = static_cast<int>(conn->format());
    if (--room.format_counts[f] == 0) {
      worker_.ctx().hub->RemoveInterest(name, worker_.index(), conn->format());
    }
    break;
  }
  RemoveRoomIfEmpty(name);
}

std::vector<Connection*> LocalRooms::Members(const std::string& name) const {
  std::vector<Connection*> out;
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return out;
  for (const Member& m : it->second->members) out.push_back(m.conn);
  return out;
}

void LocalRooms::Deliver(const RoomEvent& event) {
  auto it = rooms_.find(event.room);
  if (it == rooms_.end()) return;
  Room& room = *it->second;
  if (event.kind == RoomEvent::Kind::kPersisted) {
    room.live_head = std::max(room.live_head, event.offset);
    // Members that need a stream read are collected first: CatchUp may not
    // run while iterating (it does not reorder, but keep the loop simple).
    std::vector<uint64_t> lagging;
    for (Member& m : room.members) {
      if (!m.live || event.offset <= m.cursor) continue;
      if (event.prev > m.cursor) {
        lagging.push_back(m.token);  // a gap for this member: read it from the stream
        m.live = false;
        continue;
      }
      const SharedFrame& frame = event.frames.get(m.conn->format());
      if (frame == nullptr) continue;
      m.conn->Send(frame, MessageClass::kPersisted);
      m.cursor = event.offset;
    }
    for (uint64_t token : lagging) {
      if (Member* m = FindMember(room, token)) CatchUp(room, *m);
    }
  } else {
    const bool presence = event.kind == RoomEvent::Kind::kPresence;
    const MessageClass cls = presence ? MessageClass::kPresence : MessageClass::kEphemeral;
    for (Member& m : room.members) {
      if (m.reading) continue;  // not joined yet
      if (presence && !m.presence) continue;
      if (!event.sender_connection_id.empty() &&
          m.conn->session().connection_id() == event.sender_connection_id) {
        continue;  // typing and cursors are not echoed
      }
      const SharedFrame& frame = event.frames.get(m.conn->format());
      if (frame != nullptr) m.conn->Send(frame, cls);
    }
  }
  if (event.origin_time != absl::Time()) {
    worker_.stats().delivery_latency.Observe(absl::ToDoubleSeconds(absl::Now() - event.origin_time));
  }
}

}  // namespace switchboard::gateway
