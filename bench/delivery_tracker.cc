#include "bench/delivery_tracker.h"

#include <cstddef>

namespace switchboard::bench {

DeliveryTracker::DeliveryTracker(int rooms, int receivers)
    : rooms_(rooms), receivers_(receivers) {}

void DeliveryTracker::AssignReceiver(int receiver, int room) { receivers_[receiver].room = room; }

void DeliveryTracker::MarkJoined(int receiver) {
  Receiver& r = receivers_[receiver];
  if (r.joined || r.room < 0) return;
  r.joined = true;
  ++rooms_[r.room].members;
}

uint32_t DeliveryTracker::AddPublish(int room, int64_t scheduled_ns, bool measured) {
  Room& r = rooms_[room];
  r.scheduled_ns.push_back(scheduled_ns);
  r.state.push_back(kPending);
  r.measured.push_back(measured);
  if (measured) ++r.measured_pending;
  return static_cast<uint32_t>(r.state.size() - 1);
}

void DeliveryTracker::OnAck(int room, uint32_t seq) {
  if (room < 0 || room >= static_cast<int>(rooms_.size())) return;
  Room& r = rooms_[room];
  if (seq >= r.state.size() || r.state[seq] != kPending) return;
  r.state[seq] = kAcked;
  if (r.measured[seq]) {
    --r.measured_pending;
    ++r.measured_acked;
  }
}

void DeliveryTracker::OnPublishError(int room, uint32_t seq) {
  if (room < 0 || room >= static_cast<int>(rooms_.size())) return;
  Room& r = rooms_[room];
  if (seq >= r.state.size() || r.state[seq] != kPending) return;
  r.state[seq] = kError;
  if (r.measured[seq]) --r.measured_pending;
}

int64_t DeliveryTracker::ScheduledNs(int room, uint32_t seq) const {
  if (room < 0 || room >= static_cast<int>(rooms_.size())) return -1;
  const Room& r = rooms_[room];
  return seq < r.scheduled_ns.size() ? r.scheduled_ns[seq] : -1;
}

bool DeliveryTracker::IsMeasured(int room, uint32_t seq) const {
  if (room < 0 || room >= static_cast<int>(rooms_.size())) return false;
  const Room& r = rooms_[room];
  return seq < r.measured.size() && r.measured[seq];
}

bool DeliveryTracker::OnDelivered(int receiver, int room, uint32_t seq) {
  Receiver& r = receivers_[receiver];
  if (room != r.room || !IsMeasured(room, seq)) return false;
  if (r.seen.size() <= seq) r.seen.resize(seq + 1024, false);
  if (r.seen[seq]) {
    ++r.duplicated;
    return false;
  }
  r.seen[seq] = true;
  ++unique_measured_;
  return true;
}

bool DeliveryTracker::Complete() const {
  uint64_t expected = 0;
  for (const Room& r : rooms_) {
    if (r.measured_pending > 0) return false;
    expected += r.measured_acked * r.members;
  }
  return unique_measured_ >= expected;
}

DeliveryTracker::Totals DeliveryTracker::Summarize() const {
  Totals t;
  for (const Room& r : rooms_) {
    for (std::size_t seq = 0; seq < r.state.size(); ++seq) {
      if (!r.measured[seq]) continue;
      ++t.published;
      if (r.state[seq] == kAcked) ++t.acked;
      if (r.state[seq] == kError) ++t.publish_errors;
      if (r.state[seq] == kPending) ++t.unacked;
    }
  }
  for (const Receiver& receiver : receivers_) {
    if (!receiver.joined) continue;
    ++t.receivers;
    t.duplicated += receiver.duplicated;
    const Room& r = rooms_[receiver.room];
    for (std::size_t seq = 0; seq < r.state.size(); ++seq) {
      if (!r.measured[seq] || r.state[seq] == kError) continue;
      ++t.expected;
      if (seq < receiver.seen.size() && receiver.seen[seq]) ++t.received;
    }
  }
  t.lost = t.expected - t.received;
  return t;
}

}  // namespace switchboard::bench
