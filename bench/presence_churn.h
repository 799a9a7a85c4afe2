#ifndef SWITCHBOARD_BENCH_PRESENCE_CHURN_H_
#define SWITCHBOARD_BENCH_PRESENCE_CHURN_H_

#include <cstdint>
#include <vector>

#include "bench/latency_histogram.h"

namespace switchboard::bench {

// Schedule and accounting of the presence_churn scenario: connections leave
// and re-join their room, open loop, one join and one leave every
// 1 / joins_per_second, so rooms keep about half their connections. Even
// connections start joined, odd ones out. Operation k goes to connection
// k mod N and flips it: a joined connection leaves, one that is out joins.
// Latency is measured from an operation's *scheduled* time to its answer
// (Joined or Left), so a gateway that falls behind shows up as latency.
//
// Pure bookkeeping, no I/O: the LoadGenerator sends the frames and reports
// the answers. Not thread-safe; used on the io_context thread only.
class PresenceChurn {
 public:
  enum class OpKind : uint8_t { kJoin, kLeave };
  struct Op {
    int connection;
    OpKind kind;
    int64_t scheduled_ns;
  };
  // Measured operations only (scheduled at or after the measured window's start).
  struct Counts {
    uint64_t joins = 0;         // Join requests sent
    uint64_t joined = 0;        // ... answered with Joined
    uint64_t join_errors = 0;   // ... refused (Error) or lost with their connection
    uint64_t leaves = 0;        // Leave requests sent
    uint64_t left = 0;          // ... answered with Left
    uint64_t leave_errors = 0;  // ... refused or lost with their connection
    // Operations not sent: their connection was still waiting for the answer
    // to its previous one, or was closed.
    uint64_t skipped = 0;
    uint64_t unanswered = 0;  // sent, no answer yet
  };

  // `connections` >= 1, `joins_per_second` > 0.
  PresenceChurn(int connections, double joins_per_second);

  static bool StartsJoined(int connection) { return connection % 2 == 0; }

  // Operations are scheduled from `start_ns` until (excluding) `end_ns`;
  // those from `measure_start_ns` on are measured.
  void Start(int64_t start_ns, int64_t measure_start_ns, int64_t end_ns);

  // Appends the operations due at `now_ns` that can be sent, and marks them
  // sent (waiting for their answer).
  void TakeDue(int64_t now_ns, std::vector<Op>* out);

  // The answer to `connection`'s pending Join or Leave. Answers that match
  // no pending operation of that kind are ignored (false).
  bool OnJoined(int connection, int64_t received_ns);
  bool OnLeft(int connection, int64_t received_ns);
  // The pending operation was refused: the connection counts as out of the room.
  void OnError(int connection);
  // The connection is gone: its pending operation failed and it takes no more.
  void OnClosed(int connection);

  bool HasPending(int connection, OpKind kind) const;
  // No operation is waiting for its answer.
  bool Idle() const { return pending_ == 0; }
  // True once every operation up to `end_ns` has been scheduled.
  bool Done() const { return done_; }

  Counts counts() const;
  const LatencyHistogram& join_latency() const { return join_latency_; }
  const LatencyHistogram& leave_latency() const { return leave_latency_; }

 private:
  struct Conn {
    bool joined = false;  // State after the last answered operation.
    bool closed = false;
    bool waiting = false;
    OpKind kind = OpKind::kJoin;
    bool measured = false;
    int64_t scheduled_ns = 0;
  };

  void Fail(Conn& c);

  std::vector<Conn> conns_;
  const double interval_ns_;  // Between operations (half the join interval).
  int64_t start_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t end_ns_ = 0;
  uint64_t next_op_ = 0;
  bool done_ = false;
  int pending_ = 0;
  Counts counts_;
  LatencyHistogram join_latency_;
  LatencyHistogram leave_latency_;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_PRESENCE_CHURN_H_
