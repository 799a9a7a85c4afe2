#ifndef SWITCHBOARD_COMMON_SUBJECTS_H_
#define SWITCHBOARD_COMMON_SUBJECTS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace switchboard {

// The NATS subjects and JetStream names of one Switchboard cluster, derived
// from its prefix (default "sb"). ARCHITECTURE.md has the table; bus.proto says
// what travels on each. Room names must be validated (ValidateRoomName) before
// they are put into a subject. Immutable; safe from any thread.
class Subjects {
 public:
  explicit Subjects(absl::string_view prefix = "sb");

  // JetStream stream input of a persisted room.
  std::string Publish(absl::string_view room) const { return pub_ + std::string(room); }
  // Live subject the stream republishes a persisted room's messages to.
  std::string Room(absl::string_view room) const { return room_ + std::string(room); }
  // Core-NATS subject of ephemeral traffic of a room (typing, presence, ...).
  std::string Ephemeral(absl::string_view room) const { return eph_ + std::string(room); }
  // Commands to every gateway.
  std::string AllGateways() const { return prefix_ + ".ctl.gw"; }
  // Commands to one gateway.
  std::string Gateway(absl::string_view id) const { return prefix_ + ".ctl.gw." + std::string(id); }
  // Gateway heartbeats.
  std::string Heartbeat() const { return prefix_ + ".gw.hb"; }

  // "sb.pub.>" and "sb.room.>", for the stream's subjects and RePublish.
  std::string PublishWildcard() const { return pub_ + ">"; }
  std::string RoomWildcard() const { return room_ + ">"; }

  // Room name of a "sb.room.<room>", "sb.pub.<room>" or "sb.eph.<room>" subject;
  // empty if the subject is none of those.
  absl::string_view RoomOf(absl::string_view subject) const;

  // The JetStream stream holding persisted rooms: "SB_ROOMS" for prefix "sb".
  const std::string& StreamName() const { return stream_; }
  // The KV bucket of bans (bus.v1.Ban by user): "SB_BANS" for prefix "sb".
  std::string BansBucket() const { return bucket_prefix_ + "BANS"; }
  // The KV bucket of live gateways (each one's latest bus.v1.GatewayHeartbeat,
  // by gateway id): "SB_GATEWAYS".
  std::string GatewaysBucket() const { return bucket_prefix_ + "GATEWAYS"; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  std::string pub_;
  std::string room_;
  std::string eph_;
  std::string stream_;
  // "SB_": the prefix as a JetStream name.
  std::string bucket_prefix_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_SUBJECTS_H_
