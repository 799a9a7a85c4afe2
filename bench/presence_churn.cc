#include "bench/presence_churn.h"

#include <algorithm>

namespace switchboard::bench {

PresenceChurn::PresenceChurn(int connections, double joins_per_second)
    : conns_(std::max(connections, 1)), interval_ns_(1e9 / (2 * joins_per_second)) {
  for (size_t i = 0; i < conns_.size(); ++i) conns_[i].joined = StartsJoined(static_cast<int>(i));
}

void PresenceChurn::Start(int64_t start_ns, int64_t measure_start_ns, int64_t end_ns) {
  start_ns_ = start_ns;
  measure_start_ns_ = measure_start_ns;
  end_ns_ = end_ns;
  next_op_ = 0;
  done_ = end_ns <= start_ns;
}

void PresenceChurn::TakeDue(int64_t now_ns, std::vector<Op>* out) {
  while (!done_) {
    const int64_t scheduled =
        start_ns_ + static_cast<int64_t>(static_cast<double>(next_op_) * interval_ns_);
    if (scheduled >= end_ns_) {
      done_ = true;
      return;
    }
    if (scheduled > now_ns) return;
    const int index = static_cast<int>(next_op_ % conns_.size());
    ++next_op_;
    Conn& c = conns_[index];
    const bool measured = scheduled >= measure_start_ns_;
    if (c.waiting || c.closed) {
      if (measured) ++counts_.skipped;
      continue;
    }
    c.waiting = true;
    c.kind = c.joined ? OpKind::kLeave : OpKind::kJoin;
    c.measured = measured;
    c.scheduled_ns = scheduled;
    ++pending_;
    if (measured) ++(c.kind == OpKind::kJoin ? counts_.joins : counts_.leaves);
    out->push_back({index, c.kind, scheduled});
  }
}

bool PresenceChurn::HasPending(int connection, OpKind kind) const {
  if (connection < 0 || connection >= static_cast<int>(conns_.size())) return false;
  const Conn& c = conns_[connection];
  return c.waiting && c.kind == kind;
}

bool PresenceChurn::OnJoined(int connection, int64_t received_ns) {
  if (!HasPending(connection, OpKind::kJoin)) return false;
  Conn& c = conns_[connection];
  c.waiting = false;
  c.joined = true;
  --pending_;
  if (c.measured) {
    ++counts_.joined;
    join_latency_.Record((received_ns - c.scheduled_ns) / 1000);
  }
  return true;
}

bool PresenceChurn::OnLeft(int connection, int64_t received_ns) {
  if (!HasPending(connection, OpKind::kLeave)) return false;
  Conn& c = conns_[connection];
  c.waiting = false;
  c.joined = false;
  --pending_;
  if (c.measured) {
    ++counts_.left;
    leave_latency_.Record((received_ns - c.scheduled_ns) / 1000);
  }
  return true;
}

void PresenceChurn::Fail(Conn& c) {
  if (!c.waiting) return;
  c.waiting = false;
  --pending_;
  if (c.measured) ++(c.kind == OpKind::kJoin ? counts_.join_errors : counts_.leave_errors);
}

void PresenceChurn::OnError(int connection) {
  if (connection < 0 || connection >= static_cast<int>(conns_.size())) return;
  Conn& c = conns_[connection];
  Fail(c);
  c.joined = false;
}

void PresenceChurn::OnClosed(int connection) {
  if (connection < 0 || connection >= static_cast<int>(conns_.size())) return;
  Conn& c = conns_[connection];
  Fail(c);
  c.joined = false;
  c.closed = true;
}

PresenceChurn::Counts PresenceChurn::counts() const {
  Counts out = counts_;
  out.unanswered = 0;
  for (const Conn& c : conns_) {
    if (c.waiting && c.measured) ++out.unanswered;
  }
  return out;
}

}  // namespace switchboard::bench
