#include "fanout/kv_watch.h"

#include <algorithm>

#include "common/logging.h"
#include "common/nats_status.h"

namespace switchboard::fanout {
namespace {

// How often a waiting watch looks at Stop() and Restart().
constexpr int64_t kPollMillis = 200;

}  // namespace

KvWatch::KvWatch(KvBucket* bucket, std::function<void(const Entry&)> on_entry,
                 std::function<void()> on_synced)
    : bucket_(bucket), on_entry_(std::move(on_entry)), on_synced_(std::move(on_synced)) {}

KvWatch::~KvWatch() { Stop(); }

void KvWatch::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void KvWatch::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void KvWatch::Run() {
  absl::Duration backoff = absl::Milliseconds(200);
  while (!stop_.HasBeenNotified()) {
    restart_.store(false);
    if (WatchOnce()) {
      stop_.WaitForNotificationWithTimeout(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(5));
    } else {
      backoff = absl::Milliseconds(200);
    }
  }
}

bool KvWatch::WatchOnce() {
  kvWatcher* watcher = nullptr;
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  natsStatus s = kvStore_WatchAll(&watcher, bucket_->raw(), &options);
  if (s != NATS_OK) {
    SB_LOG_WARN("{}", FromNatsStatus(s, "watch KV bucket " + bucket_->name()).ToString());
    return true;
  }
  bool failed = false;
  bool synced = false;
  while (!stop_.HasBeenNotified() && !restart_.load()) {
    kvEntry* entry = nullptr;
    s = kvWatcher_Next(&entry, watcher, kPollMillis);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      SB_LOG_WARN("{}", FromNatsStatus(s, "watch KV bucket " + bucket_->name()).ToString());
      failed = true;
      break;
    }
    if (entry == nullptr) {  // the current values are all in
      if (!synced) {
        synced = true;
        synced_once_.store(true);
        if (on_synced_) on_synced_();
      }
      continue;
    }
    Entry e;
    e.key = kvEntry_Key(entry);
    e.revision = kvEntry_Revision(entry);
    if (kvEntry_Operation(entry) == kvOp_Put) {
      e.value = std::string(static_cast<const char*>(kvEntry_Value(entry)),
                            static_cast<size_t>(kvEntry_ValueLen(entry)));
    }
    kvEntry_Destroy(entry);
    on_entry_(e);
  }
  kvWatcher_Stop(watcher);
  kvWatcher_Destroy(watcher);
  return failed;
}

}  // namespace switchboard::fanout
