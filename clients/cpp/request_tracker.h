#ifndef SWITCHBOARD_CLIENTS_CPP_REQUEST_TRACKER_H_
#define SWITCHBOARD_CLIENTS_CPP_REQUEST_TRACKER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// Requests waiting for the ServerFrame that answers them (same id), each with
// its own deadline. Every callback runs exactly once: with the reply, with the
// status given to FailAll, or with kDeadlineExceeded. An Error reply is passed
// on as a frame; turning it into a status is the caller's business.
//
// Not thread-safe: owned by the I/O thread of `io_context`; callbacks run on
// that thread and may add or resolve requests themselves.
class RequestTracker {
 public:
  using Callback =
      std::function<void(absl::StatusOr<switchboard::client::v1::ServerFrame>)>;

  explicit RequestTracker(boost::asio::io_context& io_context);
  ~RequestTracker();

  RequestTracker(const RequestTracker&) = delete;
  RequestTracker& operator=(const RequestTracker&) = delete;

  // Waits for the reply to `id` for at most `timeout`. An id still pending is
  // failed first (ids are never reused by the client, so that is a bug).
  void Add(uint64_t id, absl::Duration timeout, Callback callback);

  // Completes `id` with `result`; false when nothing waits for it (a late
  // reply after the deadline, or an id this tracker never saw).
  bool Resolve(uint64_t id,
               absl::StatusOr<switchboard::client::v1::ServerFrame> result);

  // Completes every pending request with `status` (connection lost, closed).
  void FailAll(const absl::Status& status);

  size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    Callback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  boost::asio::io_context& io_context_;
  // Timer handlers hold a weak reference: one queued before this object died
  // must not touch it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  absl::flat_hash_map<uint64_t, Pending> pending_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_REQUEST_TRACKER_H_
