#ifndef SWITCHBOARD_FANOUT_KV_WATCH_H_
#define SWITCHBOARD_FANOUT_KV_WATCH_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "fanout/kv_bucket.h"

namespace switchboard::fanout {

// Follows every key of a bucket, on a thread of its own: first each current
// value, then every change, in revision order. This is how a process keeps its
// memory a cache of state that lives in NATS.
//
// After an error (NATS down, the watch's consumer gone after a server restart)
// the watch starts over after a short backoff, and again on Restart() (call it
// after a NATS reconnect): each start delivers the current values again, so
// `on_entry` must be idempotent. Deletes and purges arrive with no value.
//
// `on_entry` and `on_synced` run on the watch's thread, never concurrently.
// `on_synced` is called each time the current values of a start have all been
// delivered.
class KvWatch {
 public:
  struct Entry {
    std::string key;
    std::optional<std::string> value;  // nullopt: deleted or purged
    uint64_t revision = 0;
  };

  // `bucket` must outlive this object.
  KvWatch(KvBucket* bucket, std::function<void(const Entry&)> on_entry,
          std::function<void()> on_synced = nullptr);
  ~KvWatch();
  KvWatch(const KvWatch&) = delete;
  KvWatch& operator=(const KvWatch&) = delete;

  void Start();
  void Stop();
  // Starts the watch over (current values again); from any thread.
  void Restart() { restart_.store(true); }
  // True once the current values of some start have all been delivered.
  bool synced_once() const { return synced_once_.load(); }

 private:
  void Run();
  // One watch, until an error, Stop() or Restart(); true when it ended by error.
  bool WatchOnce();

  KvBucket* const bucket_;
  std::function<void(const Entry&)> on_entry_;
  std::function<void()> on_synced_;
  std::atomic<bool> restart_{false};
  std::atomic<bool> synced_once_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_KV_WATCH_H_
