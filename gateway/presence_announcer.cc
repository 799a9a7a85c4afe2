#include "gateway/presence_announcer.h"

#include "common/logging.h"
#include "common/proto_time.h"
#include "common/random_id.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::gateway {

namespace cv1 = switchboard::client::v1;

PresenceAnnouncer::PresenceAnnouncer(fanout::BusPublisher* publisher, absl::Duration leave_delay)
    : publisher_(publisher),
      leave_delay_us_(std::max<int64_t>(0, absl::ToInt64Microseconds(leave_delay))) {}

void PresenceAnnouncer::Joined(const std::string& room, const cv1::PresenceInfo& info) {
  Publish(room, cv1::PRESENCE_CHANGE_JOIN, info);
}

void PresenceAnnouncer::Left(const std::string& room, const cv1::PresenceInfo& info,
                             int64_t now_us) {
  if (leave_delay_us_ == 0) return Publish(room, cv1::PRESENCE_CHANGE_LEAVE, info);
  pending_.push_back(PendingLeave{now_us + leave_delay_us_, room, info});
}

void PresenceAnnouncer::PublishDue(int64_t now_us) {
  while (!pending_.empty() && pending_.front().due_us <= now_us) {
    Publish(pending_.front().room, cv1::PRESENCE_CHANGE_LEAVE, pending_.front().info);
    pending_.pop_front();
  }
}

void PresenceAnnouncer::FlushAll() {
  while (!pending_.empty()) {
    Publish(pending_.front().room, cv1::PRESENCE_CHANGE_LEAVE, pending_.front().info);
    pending_.pop_front();
  }
}

void PresenceAnnouncer::AppendPending(const std::string& room,
                                      std::vector<cv1::PresenceInfo>* out) const {
  for (const PendingLeave& p : pending_) {
    if (p.room == room) out->push_back(p.info);
  }
}

void PresenceAnnouncer::Publish(const std::string& room, cv1::PresenceChange change,
                                const cv1::PresenceInfo& info) {
  if (publisher_ == nullptr) return;
  switchboard::bus::v1::Publication pub;
  pub.set_room(room);
  pub.set_message_id(RandomId());
  ToProto(absl::Now(), pub.mutable_time());
  // No sender: the joining connection sees its own entry like everyone else.
  auto* event = pub.mutable_presence();
  event->set_room(room);
  event->set_change(change);
  *event->mutable_info() = info;
  absl::Status s = publisher_->PublishEphemeral(pub);
  if (!s.ok()) {
    ++failed_;
    SB_LOG_DEBUG("room {}: presence event dropped: {}", room, s.ToString());
  }
}

}  // namespace switchboard::gateway
