#ifndef SWITCHBOARD_GATEWAY_LOCAL_ROOMS_H_
#define SWITCHBOARD_GATEWAY_LOCAL_ROOMS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "fanout/history_reader.h"
#include "fanout/room_event.h"
#include "gateway/presence_announcer.h"
#include "google/protobuf/struct.pb.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::gateway {

class Connection;
class Worker;

// One worker's rooms: which of its connections are in which room, and where
// each member stands in the room's offsets. Delivers the hub's events to
// local members, and brings joining or lagging members up to date from the
// stream before they go live, so that every member of a persisted room sees
// each message once, in offset order, with no gap:
//   - a member is "live" when its cursor (last offset it was sent) is at the
//     room's live head; live events whose prev equals its cursor go straight out;
//   - a member that is not live (just joined with since_offset/history, or saw
//     a gap) reads from the stream after its cursor in batches on the history
//     threads, and goes live once its cursor reaches the live head.
// It also keeps the worker's side of presence: every member is announced to
// the cluster once its join is answered, and again when it leaves (see
// PresenceAnnouncer), and answers presence surveys for its members.
// Worker thread only.
class LocalRooms {
 public:
  explicit LocalRooms(Worker& worker);
  ~LocalRooms();

  struct JoinRequest {
    uint64_t reply_id = 0;  // ClientFrame.id for Joined/Error
    std::string room;       // validated
    std::optional<uint64_t> since_offset;
    uint32_t history_limit = 0;
    bool presence = false;
    // Presence metadata (token `meta` merged with Join.meta); null if none.
    std::shared_ptr<const google::protobuf::Struct> meta;
  };

  // Makes `conn` a member and answers with Joined (or an Error) once its
  // starting position is known. The caller has checked name, permission and
  // limits.
  void Join(Connection* conn, JoinRequest request);
  // Removes `conn` from `room` (no reply).
  void Leave(Connection* conn, const std::string& room);
  // A room event from the hub.
  void Deliver(const fanout::RoomEvent& event);

  // Resumes catch-ups that waited for their connection's queue to drain
  // (called on every worker tick).
  void RetryDeferred();
  // Once per worker tick: deferred catch-ups and due presence departures.
  void OnTick(int64_t now_us);

  // Presence entries of this worker's members of `room`, including departures
  // not yet announced (PresenceAnnouncer).
  std::vector<switchboard::client::v1::PresenceInfo> PresenceOf(const std::string& room) const;
  // Gateway `gateway_id` stopped heartbeating (or restarted at
  // `restarted_at`): tells every local member that asked for presence, in
  // every room, that its connections (from before `restarted_at`) are gone.
  void OnGatewayLost(const std::string& gateway_id, absl::Time restarted_at);
  // Announces every member again (this gateway was cut off from the bus long
  // enough for the others to have declared it lost).
  void ReannounceAll();
  // Announces held departures now (the gateway is stopping).
  void FlushPresence() { presence_.FlushAll(); }

  size_t size() const { return rooms_.size(); }
  // Local members of `room` (for presence surveys); empty if none.
  std::vector<Connection*> Members(const std::string& room) const;

 private:
  struct Member {
    Connection* conn = nullptr;
    uint64_t token = 0;     // identifies this membership in async completions
    uint64_t cursor = 0;    // last offset sent to the member
    uint64_t target = 0;    // offset it must reach before going live
    bool live = false;
    bool reading = false;   // a stream read is in flight
    bool presence = false;
    bool announced = false;  // a presence JOIN was published for it
    int64_t joined_at_us = 0;
    std::shared_ptr<const google::protobuf::Struct> meta;
  };
  struct Room {
    std::string name;
    bool ephemeral = false;
    std::vector<Member> members;
    int format_counts[2] = {0, 0};
    uint64_t live_head = 0;  // newest offset seen live on this worker
  };

  Room* FindOrCreate(const std::string& name, Connection* conn, uint64_t reply_id);
  Member* FindMember(Room& room, uint64_t token);
  void RemoveRoomIfEmpty(const std::string& name);
  // Reads the stream after the member's cursor, delivers, and repeats until live.
  void CatchUp(Room& room, Member& member);
  void OnRead(const std::string& room_name, uint64_t token,
              absl::StatusOr<std::vector<fanout::StoredMessage>> messages);
  // Marks `member` joined for presence and announces it.
  void Announce(const Room& room, Member& member);
  switchboard::client::v1::PresenceInfo InfoOf(const Member& member) const;
  void SendBatch(Member& member, const std::string& room,
                 const std::vector<fanout::StoredMessage>& messages);

  Worker& worker_;
  absl::flat_hash_map<std::string, std::unique_ptr<Room>> rooms_;
  uint64_t next_token_ = 1;
  std::vector<std::pair<std::string, uint64_t>> deferred_;
  PresenceAnnouncer presence_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_LOCAL_ROOMS_H_
