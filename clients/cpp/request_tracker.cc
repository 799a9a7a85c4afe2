#include "clients/cpp/request_tracker.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace switchboard {
namespace client {

RequestTracker::RequestTracker(boost::asio::io_context& io_context)
    : io_context_(io_context) {}

RequestTracker::~RequestTracker() {
  // Timers die with their entries; their cancelled waits find the entry gone.
  pending_.clear();
}

void RequestTracker::Add(uint64_t id, absl::Duration timeout,
                         Callback callback) {
  if (pending_.contains(id)) {
    Resolve(id,
            absl::InternalError(absl::StrCat("request id ", id, " reused")));
  }
  Pending pending;
  pending.callback = std::move(callback);
  pending.timer = std::make_unique<boost::asio::steady_timer>(io_context_);
  pending.timer->expires_after(absl::ToChronoNanoseconds(timeout));
  // The wait holds only the id: a resolved request's entry is gone, and the
  // timer of a replaced entry is a different object whose wait was cancelled.
  boost::asio::steady_timer* timer = pending.timer.get();
  pending.timer->async_wait([this, alive = std::weak_ptr<int>(alive_), id,
                             timer,
                             timeout](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.timer.get() != timer) return;
    Resolve(id, absl::DeadlineExceededError(absl::StrCat(
                    "no reply within ", absl::FormatDuration(timeout))));
  });
  pending_[id] = std::move(pending);
}

bool RequestTracker::Resolve(
    uint64_t id, absl::StatusOr<switchboard::client::v1::ServerFrame> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  Callback callback = std::move(it->second.callback);
  it->second.timer->cancel();
  pending_.erase(it);
  callback(std::move(result));
  return true;
}

void RequestTracker::FailAll(const absl::Status& status) {
  // Callbacks may add new requests: complete a snapshot, not the live map.
  absl::flat_hash_map<uint64_t, Pending> failed;
  failed.swap(pending_);
  std::vector<uint64_t> ids;
  ids.reserve(failed.size());
  for (auto& [id, pending] : failed) {
    pending.timer->cancel();
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (uint64_t id : ids) failed[id].callback(status);
}

}  // namespace client
}  // namespace switchboard
