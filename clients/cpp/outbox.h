#ifndef SWITCHBOARD_CLIENTS_CPP_OUTBOX_H_
#define SWITCHBOARD_CLIENTS_CPP_OUTBOX_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "clients/cpp/client_events.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard {
namespace client {

// How long after its first send an unacked publish may still be resent under
// its message id: `dedupe_window` less a margin (a tenth of it, at most 10 s)
// for the time between the first send and the gateway storing it. The web
// client uses the same rule (clients/web/src/client.ts, resendLimitMs).
absl::Duration ResendLimit(absl::Duration dedupe_window);

// Publishes not yet acknowledged, in call order. A publish survives
// reconnects: it is sent again on a new connection, always with the same
// message id, so the gateway's dedupe window makes the retry harmless, until
// it is acked, answered with an error, or its deadline (set when it was added)
// passes. That holds only within the dedupe window, counted from the first
// send: GiveUpTooOld removes a publish waiting to be resent once its first
// send is older than the resend limit ("fate unknown", FateUnknown in
// client_events.h). Every callback runs exactly once.
//
// Not thread-safe: owned by the I/O thread of `io_context`; callbacks run on
// that thread.
class Outbox {
 public:
  using Callback =
      std::function<void(absl::StatusOr<switchboard::client::v1::PublishAck>)>;
  // Monotonic time, for the age of first sends (injectable for tests).
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit Outbox(boost::asio::io_context& io_context,
                  Clock clock = &std::chrono::steady_clock::now);
  ~Outbox();

  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues `publish` (its message_id already set); fails it with
  // kDeadlineExceeded if no ack arrived within `timeout`.
  void Add(switchboard::client::v1::Publish publish, absl::Duration timeout,
           Callback callback);

  // The frames to send now: every publish not yet sent on the current
  // connection, oldest first, each marked in flight under a fresh frame id
  // from `next_frame_id`. The first time a publish is taken, its first-send
  // time is recorded. Call GiveUpTooOld first: this resends whatever is left.
  std::vector<switchboard::client::v1::ClientFrame> TakeUnsent(
      const std::function<uint64_t()>& next_frame_id);

  // Removes every publish that was sent on an earlier connection, is not acked
  // and was first sent more than `resend_limit` ago; each callback gets
  // kAborted "fate unknown: ..." (IsFateUnknown). Publishes never sent, and
  // those in flight on the current connection, stay. Returns what was given
  // up, oldest first, for the caller to report (the callbacks have run).
  std::vector<FateUnknown> GiveUpTooOld(absl::Duration resend_limit);

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
  // resend safe within the dedupe window).
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
    // Set by the first TakeUnsent that sent it; never reset.
    std::optional<std::chrono::steady_clock::time_point> first_sent;
    absl::Time first_sent_wall;  // the same moment, for FateUnknown
  };
  using EntryList = std::list<Entry>;

  // Removes `it` and runs its callback with `result`.
  void Complete(EntryList::iterator it,
                absl::StatusOr<switchboard::client::v1::PublishAck> result);

  boost::asio::io_context& io_context_;
  const Clock clock_;
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
