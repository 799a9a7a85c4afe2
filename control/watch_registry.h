#ifndef SWITCHBOARD_CONTROL_WATCH_REGISTRY_H_
#define SWITCHBOARD_CONTROL_WATCH_REGISTRY_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/worker_pool.h"
#include "control/tail_checked_watch.h"
#include "fanout/history_reader.h"

namespace switchboard::control {

// The live Watch streams that promised every message of a persisted room
// (since_offset), and the check of their rooms' tails after the control
// process's NATS connection comes back: a message republished while the
// connection was down never arrives, and without a later message in the room
// nothing else would reveal the gap. Live-only watches (no since_offset) are
// at-most-once and are never registered.
//
// The checks run as one sweep at a time on the WorkerPool (never on a NATS
// thread): one LastOffset per room, retried with backoff while the stream is
// unreachable (right after a reconnect JetStream may not answer yet) for up to
// `retry_budget`, then the watches still unchecked end with UNAVAILABLE. A
// connection lost again during the sweep leaves them to the next reconnect.
//
// Lifetime: a watch is added by itself and removed by its destructor (under
// mu_), and the registry touches a watch only through a reference taken with
// TryRef under mu_, so it never reaches one being destroyed. Owned by the
// server; it must outlive every watch. Thread-safe.
class WatchRegistry {
 public:
  struct Options {
    // How long a sweep retries rooms whose tail it cannot read.
    absl::Duration retry_budget = absl::Seconds(10);
    absl::Duration first_backoff = absl::Milliseconds(200);
    absl::Duration max_backoff = absl::Seconds(2);
    // How long a watch behind the stored tail may take to receive messages
    // that were already on their way when the tail was read.
    absl::Duration grace = absl::Seconds(1);
  };
  // For diagnostics and tests: watches registered now, and check outcomes
  // since start (intact: left open, including checks a replay deferred;
  // missed: ended with ABORTED; unknown: ended with UNAVAILABLE).
  struct Stats {
    size_t registered = 0;
    uint64_t intact = 0;
    uint64_t missed = 0;
    uint64_t unknown = 0;
  };

  WatchRegistry() : WatchRegistry(Options()) {}
  explicit WatchRegistry(Options options) : options_(options) {}
  ~WatchRegistry() = default;
  WatchRegistry(const WatchRegistry&) = delete;
  WatchRegistry& operator=(const WatchRegistry&) = delete;

  // Gives the registry what a check needs; no check runs before. All three
  // must stay valid until Stop has returned and `pool` has been drained.
  void Start(NatsConnection* nats, const fanout::HistoryReader* history, WorkerPool* pool);
  // No new sweeps after this; a running one gives up at its next wait. Call
  // before the pool is destroyed (its destructor runs the sweep to its end).
  void Stop();

  void Add(TailCheckedWatch* watch);
  // Called by the watch's destructor, before any of its members go.
  void Remove(TailCheckedWatch* watch);

  // The NATS connection is back: checks every registered watch. Never blocks
  // on NATS, so the connection's state listener may call it.
  void CheckAll();
  // Checks one registered watch (its replay overlapped a reconnect).
  void Check(TailCheckedWatch* watch);

  Stats stats() const;

 private:
  // References `watch` into pending_ unless it is there already or dying.
  void EnqueueLocked(TailCheckedWatch* watch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Submits a sweep unless one runs. When the pool refuses, the pending
  // watches are moved to `refused` (the caller ends and releases them
  // outside mu_: releasing may destroy a watch, which takes mu_).
  void StartSweepLocked(std::vector<TailCheckedWatch*>* refused) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Refuse(const std::vector<TailCheckedWatch*>& refused);
  // On a pool thread: checks batches of pending watches until none is left.
  void Sweep();
  void CheckBatch(const std::vector<TailCheckedWatch*>& batch);
  // Waits for `timeout` unless Stop comes first; true when stopping.
  bool WaitStopping(absl::Duration timeout);

  const Options options_;
  mutable absl::Mutex mu_;
  NatsConnection* nats_ ABSL_GUARDED_BY(mu_) = nullptr;
  const fanout::HistoryReader* history_ ABSL_GUARDED_BY(mu_) = nullptr;
  WorkerPool* pool_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<TailCheckedWatch*> watches_ ABSL_GUARDED_BY(mu_);
  // Watches waiting for a check, each holding a reference.
  absl::flat_hash_set<TailCheckedWatch*> pending_ ABSL_GUARDED_BY(mu_);
  bool sweeping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t intact_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t missed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unknown_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_WATCH_REGISTRY_H_
