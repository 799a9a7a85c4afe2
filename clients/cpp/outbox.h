#ifndef SWITCHBOARD_CLIENTS_CPP_OUTBOX_H_
#define SWITCHBOARD_CLIENTS_CPP_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// Publishes not yet acknowledged, in call order. A publish survives
// reconnects: it is sent (again) on every new connection, always with the same
// message id, so the gateway's dedupe window makes the retry harmless, until
// it is acked, answered with an error, or its deadline (set when it was added)
// passes. Every callback runs exactly once.
//
// Not thread-safe: owned by the I/O thread of `io_context`; callbacks run on
// that thread.
class Outbox {
 public:
  using Callback =
      std::function<void(absl::StatusOr<switchboard::client::v1::PublishAck>)>;

  explicit Outbox(boost::asio::io_context& io_context);
  ~Outbox();

  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues `publish` (its message_id already set); fails it with
  // kDeadlineExceeded if no ack arrived within `timeout`.
  void Add(switchboard::client::v1::Publish publish, absl::Duration timeout,
           Callback callback);

  // The frames to send now: every publish not yet sent on the current
  // connection, oldest first, each marked in flight under a fresh frame id
  // from `next_frame_id`.
  std::vector<switchboard::client::v1::ClientFrame> TakeUnsent(
      const std::function<uint64_t()>& next_frame_id);

  // Completes the publish sent as frame `frame_id` with the gateway's reply
  // (PublishAck, or an Error turned into its status); a reply of another kind
  // fails it with kInternal. False when no publish is in flight under that id.
  bool Resolve(uint64_t frame_id,
               const switchboard::client::v1::ServerFrame& reply);

  // Completes the publish sent as frame `frame_id` with `status` (the frame
  // could not be written). False when unknown.
  bool Fail(uint64_t frame_id, const absl::Status& status);

  // The connection dropped: publishes in flight go back to waiting for the
  // next connection (an ack may have been lost; the message id makes the
  // resend safe).
  void RequeueInFlight();

  // Completes every publish with `status`.
  void FailAll(const absl::Status& status);

  size_t size() const { return entries_.size(); }
  size_t unsent() const;

 private:
  struct Entry {
    switchboard::client::v1::Publish publish;
    Callback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
    uint64_t key = 0;       // unique per entry, for its deadline timer
    uint64_t frame_id = 0;  // 0 = not sent on the current connection
  };
  using EntryList = std::list<Entry>;

  // Removes `it` and runs its callback with `result`.
  void Complete(EntryList::iterator it,
                absl::StatusOr<switchboard::client::v1::PublishAck> result);

  boost::asio::io_context& io_context_;
  // Timer handlers hold a weak reference: one queued before this object died
  // must not touch it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  EntryList entries_;
  uint64_t next_key_ = 1;
  // A timer whose wait already completed cannot be cancelled any more, so its
  // handler finds the entry by key and learns here that it is gone.
  absl::flat_hash_map<uint64_t, EntryList::iterator> by_key_;
  absl::flat_hash_map<uint64_t, EntryList::iterator> in_flight_;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_OUTBOX_H_
