#include "clients/cpp/outbox.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cpp/server_status.h"

namespace switchboard {
namespace client {

using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::PublishAck;
using ::switchboard::client::v1::ServerFrame;

absl::Duration ResendLimit(absl::Duration dedupe_window) {
  return dedupe_window - std::min(absl::Seconds(10), dedupe_window / 10);
}

Outbox::Outbox(boost::asio::io_context& io_context, Clock clock)
    : io_context_(io_context), clock_(std::move(clock)) {}

Outbox::~Outbox() {
  in_flight_.clear();
  by_key_.clear();
  entries_.clear();
}

void Outbox::Add(v1::Publish publish, absl::Duration timeout,
                 Callback callback) {
  const uint64_t key = next_key_++;
  entries_.push_back(
      Entry{std::move(publish), std::move(callback),
            std::make_unique<boost::asio::steady_timer>(io_context_), key, 0});
  auto it = std::prev(entries_.end());
  by_key_[key] = it;
  it->timer->expires_after(absl::ToChronoNanoseconds(timeout));
  it->timer->async_wait([this, alive = std::weak_ptr<int>(alive_), key,
                         timeout](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    auto found = by_key_.find(key);
    if (found == by_key_.end()) return;
    EntryList::iterator entry = found->second;
    Complete(entry,
             absl::DeadlineExceededError(absl::StrCat(
                 "publish ", entry->publish.message_id(),
                 " not acknowledged within ", absl::FormatDuration(timeout))));
  });
}

std::vector<ClientFrame> Outbox::TakeUnsent(
    const std::function<uint64_t()>& next_frame_id) {
  std::vector<ClientFrame> frames;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->frame_id != 0) continue;
    if (!it->first_sent.has_value()) {
      it->first_sent = clock_();
      it->first_sent_wall = absl::Now();
    }
    it->frame_id = next_frame_id();
    in_flight_[it->frame_id] = it;
    ClientFrame frame;
    frame.set_id(it->frame_id);
    *frame.mutable_publish() = it->publish;
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::vector<FateUnknown> Outbox::GiveUpTooOld(absl::Duration resend_limit) {
  const std::chrono::steady_clock::time_point now = clock_();
  const auto limit = absl::ToChronoNanoseconds(resend_limit);
  // Taken out of the live list before any callback runs: a callback may
  // publish again or close the client.
  EntryList old;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->frame_id == 0 && it->first_sent.has_value() &&
        now - *it->first_sent > limit) {
      by_key_.erase(it->key);
      it->timer->cancel();
      old.splice(old.end(), entries_, it);
    }
    it = next;
  }
  std::vector<FateUnknown> given_up;
  given_up.reserve(old.size());
  for (const Entry& entry : old) {
    const v1::Publish& publish = entry.publish;
    given_up.push_back(FateUnknown{
        publish.room(), publish.message_id(), publish.payload(),
        entry.first_sent_wall,
        absl::AbortedError(absl::StrCat(
            kFateUnknownPrefix, " publish ", publish.message_id(), " to ",
            publish.room(), " was first sent ",
            absl::FormatDuration(absl::FromChrono(now - *entry.first_sent)),
            " ago and never acknowledged; resending it later than ",
            absl::FormatDuration(resend_limit),
            " after its first send could store it twice, so it is not resent: "
            "look for its message_id in the room's history, or publish it "
            "again under a new message_id"))});
  }
  size_t i = 0;
  for (Entry& entry : old) entry.callback(given_up[i++].status);
  return given_up;
}

bool Outbox::Resolve(uint64_t frame_id, const ServerFrame& reply) {
  auto found = in_flight_.find(frame_id);
  if (found == in_flight_.end()) return false;
  EntryList::iterator it = found->second;
  if (reply.has_publish_ack()) {
    Complete(it, reply.publish_ack());
  } else if (reply.has_error()) {
    Complete(it, ServerErrorToStatus(reply.error()));
  } else {
    Complete(it, absl::InternalError(
                     absl::StrCat("unexpected reply to publish (frame kind ",
                                  reply.kind_case(), ")")));
  }
  return true;
}

bool Outbox::Fail(uint64_t frame_id, const absl::Status& status) {
  auto found = in_flight_.find(frame_id);
  if (found == in_flight_.end()) return false;
  Complete(found->second, status);
  return true;
}

void Outbox::RequeueInFlight() {
  for (auto& [frame_id, it] : in_flight_) it->frame_id = 0;
  in_flight_.clear();
}

void Outbox::FailAll(const absl::Status& status) {
  // Callbacks may publish again: complete a snapshot, not the live list.
  EntryList failed;
  failed.swap(entries_);
  in_flight_.clear();
  by_key_.clear();
  for (Entry& entry : failed) {
    entry.timer->cancel();
    entry.callback(status);
  }
}

size_t Outbox::unsent() const {
  size_t count = 0;
  for (const Entry& entry : entries_) count += entry.frame_id == 0 ? 1 : 0;
  return count;
}

void Outbox::Complete(EntryList::iterator it,
                      absl::StatusOr<PublishAck> result) {
  if (it->frame_id != 0) in_flight_.erase(it->frame_id);
  by_key_.erase(it->key);
  it->timer->cancel();
  Callback callback = std::move(it->callback);
  entries_.erase(it);
  callback(std::move(result));
}

}  // namespace client
}  // namespace switchboard
