#ifndef SWITCHBOARD_CLIENTS_CPP_INBOX_H_
#define SWITCHBOARD_CLIENTS_CPP_INBOX_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace switchboard {
namespace client {

// A bounded FIFO handed from the client's I/O thread to application threads.
// When full, the oldest item is dropped (and counted): a reader that stopped
// reading must not make the client grow without bound. Capacity 0 keeps
// nothing (for applications that use callbacks only).
//
// Thread-safe: Push and Pop may be called from any threads.
template <typename T>
class Inbox {
 public:
  explicit Inbox(size_t capacity) : capacity_(capacity) {}

  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Appends `item`; returns false when an item had to be dropped for it.
  bool Push(T item) {
    absl::MutexLock lock(&mu_);
    if (capacity_ == 0) {
      ++dropped_;
      return false;
    }
    bool dropped_one = false;
    if (items_.size() >= capacity_) {
      items_.pop_front();
      ++dropped_;
      dropped_one = true;
    }
    items_.push_back(std::move(item));
    return !dropped_one;
  }

  // The oldest item, waiting up to `timeout` for one; nullopt on timeout.
  std::optional<T> Pop(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !items_.empty();
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
      return std::nullopt;
    }
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return items_.size();
  }

  // Items dropped because the inbox was full.
  uint64_t dropped() const {
    absl::MutexLock lock(&mu_);
    return dropped_;
  }

  void Clear() {
    absl::MutexLock lock(&mu_);
    items_.clear();
  }

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_INBOX_H_
