#ifndef SWITCHBOARD_GATEWAY_PRESENCE_ANNOUNCER_H_
#define SWITCHBOARD_GATEWAY_PRESENCE_ANNOUNCER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "fanout/bus_publisher.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::gateway {

// Tells the cluster about one worker's presence changes: each JOIN or LEAVE of
// a local connection becomes a bus Publication carrying a PresenceEvent on the
// room's ephemeral subject, which every gateway with members in the room
// delivers to the members that asked for presence (at-most-once, like typing).
//
// Departures can be held back for `leave_delay`: a tab that reconnects (to any
// gateway) joins before its old connection is announced as gone, so members
// see no flap. A held departure still counts as present (Pending) until it is
// announced.
//
// Used on its worker's thread only.
class PresenceAnnouncer {
 public:
  // `publisher` must outlive this object; null disables publishing (tests).
  PresenceAnnouncer(fanout::BusPublisher* publisher, absl::Duration leave_delay);

  // Announces that `info` (a local connection) joined `room`.
  void Joined(const std::string& room, const switchboard::client::v1::PresenceInfo& info);
  // Announces that it left, now or `leave_delay` after `now_us`.
  void Left(const std::string& room, const switchboard::client::v1::PresenceInfo& info,
            int64_t now_us);
  // Announces the held departures that are due.
  void PublishDue(int64_t now_us);
  // Announces every held departure now (the gateway is stopping).
  void FlushAll();

  // Appends the departures of `room` not yet announced.
  void AppendPending(const std::string& room,
                     std::vector<switchboard::client::v1::PresenceInfo>* out) const;
  size_t pending() const { return pending_.size(); }

  // Publications that NATS refused (it was down); presence events are
  // at-most-once, so these are counted and dropped.
  uint64_t failed() const { return failed_; }

 private:
  struct PendingLeave {
    int64_t due_us;
    std::string room;
    switchboard::client::v1::PresenceInfo info;
  };

  void Publish(const std::string& room, switchboard::client::v1::PresenceChange change,
               const switchboard::client::v1::PresenceInfo& info);

  fanout::BusPublisher* publisher_;
  const int64_t leave_delay_us_;
  // Ordered by due time: the delay is the same for every departure.
  std::deque<PendingLeave> pending_;
  uint64_t failed_ = 0;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_PRESENCE_ANNOUNCER_H_
