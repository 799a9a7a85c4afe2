#ifndef SWITCHBOARD_CONTROL_WATCH_REACTOR_H_
#define SWITCHBOARD_CONTROL_WATCH_REACTOR_H_

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "control/rpc_metrics.h"
#include "control/tail_checked_watch.h"
#include "control/watch_registry.h"
#include "common/worker_pool.h"
#include "fanout/history_reader.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::control {

// What a watch needs from the server; everything outlives every watch (the
// gRPC server is shut down before any of it goes).
struct WatchContext {
  NatsConnection* nats = nullptr;
  const Subjects* subjects = nullptr;
  const fanout::HistoryReader* history = nullptr;
  WorkerPool* pool = nullptr;
  RpcMetrics* metrics = nullptr;
  // Where since_offset watches register for the tail check after a NATS
  // reconnect; null: no check.
  WatchRegistry* watches = nullptr;
  // A watcher this far behind is ended with RESOURCE_EXHAUSTED (it can resume
  // with since_offset) instead of buffering without bound.
  size_t max_queued_events = 10000;
};

// One Watch stream. Live persisted messages come from "<prefix>.room.<room>"
// (decoded with fanout::ParseStored, which reads the offset), ephemeral
// messages, events and presence from "<prefix>.eph.<room>". With since_offset
// the stream first replays retained history: the live subscription is made
// (and flushed) before the history is read, and live messages are held back
// until the replay ends, so nothing falls between the two and nothing is sent
// twice. With since_offset, a later gap in the live offsets (NATS reconnect)
// ends the stream with ABORTED naming the offset to resume from; and since a
// gap only shows when the room's next message arrives, such a watch is also
// registered in WatchRegistry, which after a reconnect compares the room's
// stored tail with the last offset sent (EndIfBehind: ABORTED the same way;
// EndTailUnknown: UNAVAILABLE when the tail cannot be read). A watch without
// since_offset is an at-most-once live tail: messages missed while NATS was
// unreachable are simply not sent, and no check is made.
//
// Lifetime: the reactor deletes itself once gRPC is done with it (OnDone),
// its NATS subscriptions have completed, its replay task has returned and
// the registry has released it (TryRef/Unref); the destructor unregisters it.
// Events are written one at a time; NATS callbacks, the replay task and gRPC
// reactions may run concurrently and synchronize on mu_.
class WatchReactor final : public grpc::ServerWriteReactor<switchboard::control::v1::WatchEvent>,
                           public TailCheckedWatch {
 public:
  // Starts the watch, or finishes at once with `precheck` when it is an error
  // (authentication). The request is copied: the replay may outlive gRPC's.
  WatchReactor(const WatchContext& context, const switchboard::control::v1::WatchRequest& request,
               absl::Status precheck);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // TailCheckedWatch, for WatchRegistry; any thread.
  bool TryRef() override;
  void Unref() override;
  const std::string& room() const override { return request_.room(); }
  bool EndIfBehind(uint64_t stored_last, absl::Time grace_deadline) override;
  void EndTailUnknown(const absl::Status& cause) override;

 private:
  ~WatchReactor() override;

  absl::Status Validate() const;
  // On a pool thread: subscribes, then replays history if asked.
  void Setup();
  absl::Status Subscribe(const std::string& subject, natsMsgHandler handler, natsSubscription** sub);
  absl::Status Replay();

  static void OnRoomMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void OnEphemeralMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                                 void* closure);
  static void OnSubscriptionComplete(void* closure);

  // A live persisted message, with the offset of the room's previous message.
  void DeliverLive(fanout::StoredMessage stored, uint64_t previous_offset);
  // Sends persisted messages in order, checking for gaps. Caller holds mu_.
  void SendPersistedLocked(fanout::StoredMessage stored, uint64_t previous_offset)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues an event (or ends a watcher that fell too far behind).
  void EnqueueLocked(switchboard::control::v1::WatchEvent event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records that the stream should end with `status` (first call wins). With
  // `drain`, queued events are written first; else they are dropped.
  void RequestFinishLocked(absl::Status status, bool drain) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes interest in both subjects (once); completion arrives later.
  void UnsubscribeAll();
  // Starts the next write or the finish, outside mu_ (gRPC may call back).
  void Pump();
  // The offset a resumed watch should start after: the last one sent, or
  // since_offset when none was.
  uint64_t ResumeOffsetLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WatchContext context_;
  const switchboard::control::v1::WatchRequest request_;
  const absl::Time started_;
  // One for gRPC (until OnDone), one per live subscription (until complete),
  // one while Setup runs, one while the registry checks the tail. Never
  // raised from zero (TryRef).
  std::atomic<int> refs_{1};

  absl::Mutex mu_;
  std::deque<switchboard::control::v1::WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  // The event being written; untouched while writing_.
  switchboard::control::v1::WatchEvent current_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_sent_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
  // While replaying, live persisted messages wait here in arrival order.
  bool replaying_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<fanout::StoredMessage, uint64_t>> held_ ABSL_GUARDED_BY(mu_);
  // Offset of the last persisted message sent (0: none yet).
  uint64_t last_offset_ ABSL_GUARDED_BY(mu_) = 0;
  // A tail check came during the replay: Setup asks for another after it.
  bool tail_check_after_replay_ ABSL_GUARDED_BY(mu_) = false;
  natsSubscription* room_sub_ ABSL_GUARDED_BY(mu_) = nullptr;
  natsSubscription* eph_sub_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool unsubscribe_wanted_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<natsSubscription*> unsubscribed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_WATCH_REACTOR_H_
