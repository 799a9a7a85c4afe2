#include "control/watch_reactor.h"

#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/nats_status.h"
#include "control/request_validation.h"
#include "common/room_name.h"
#include "control/grpc_status.h"
#include "control/history_query.h"

namespace switchboard::control {

using switchboard::bus::v1::Publication;

namespace {

constexpr char kMethod[] = "Watch";
// Messages read from history per round; the replay waits for the client to
// drain the queue below half its bound between rounds.
constexpr size_t kReplayBatch = 500;
constexpr int kFlushTimeoutMs = 5000;
constexpr uint64_t kUnknownOffset = std::numeric_limits<uint64_t>::max();

uint64_t PreviousOffset(natsMsg* msg) {
  const char* value = nullptr;
  uint64_t previous = 0;
  if (natsMsgHeader_Get(msg, "Nats-Last-Sequence", &value) != NATS_OK || value == nullptr ||
      !absl::SimpleAtoi(value, &previous)) {
    return kUnknownOffset;
  }
  return previous;
}

absl::Status MissedError(uint64_t resume_offset) {
  return absl::AbortedError(absl::StrCat("messages after offset ", resume_offset,
                                         " were missed; watch again with since_offset=",
                                         resume_offset));
}

}  // namespace

WatchReactor::WatchReactor(const WatchContext& context, const v1::WatchRequest& request,
                           absl::Status precheck)
    : context_(context), request_(request), started_(absl::Now()) {
  context_.metrics->Started(kMethod);
  absl::Status status = precheck.ok() ? Validate() : precheck;
  if (status.ok() && !context_.nats->connected()) {
    status = absl::UnavailableError("not connected to NATS");
  }
  if (status.ok()) {
    refs_.fetch_add(1);  // held by Setup
    if (!context_.pool->TrySubmit([this] {
          Setup();
          Unref();
        })) {
      refs_.fetch_sub(1);
      status = absl::ResourceExhaustedError("control plane overloaded; retry");
    }
  }
  if (status.ok()) return;
  {
    absl::MutexLock lock(&mu_);
    RequestFinishLocked(status, false);
  }
  Pump();
}

WatchReactor::~WatchReactor() {
  // First: until this returns the registry may still look at refs_.
  if (context_.watches != nullptr) context_.watches->Remove(this);
  if (room_sub_ != nullptr) natsSubscription_Destroy(room_sub_);
  if (eph_sub_ != nullptr) natsSubscription_Destroy(eph_sub_);
}

absl::Status WatchReactor::Validate() const { return ValidateWatch(request_); }

void WatchReactor::Setup() {
  {
    absl::MutexLock lock(&mu_);
    if (finish_requested_) return;
    replaying_ = request_.has_since_offset();
  }
  // Registered before subscribing: a reconnect from here on is checked.
  if (request_.has_since_offset() && context_.watches != nullptr) context_.watches->Add(this);
  const std::string& room = request_.room();
  natsSubscription* room_sub = nullptr;
  natsSubscription* eph_sub = nullptr;
  absl::Status status;
  if (!IsEphemeralRoom(room)) {
    status = Subscribe(context_.subjects->Room(room), &WatchReactor::OnRoomMessage, &room_sub);
  }
  if (status.ok()) {
    status = Subscribe(context_.subjects->Ephemeral(room), &WatchReactor::OnEphemeralMessage,
                       &eph_sub);
  }
  bool finished;
  {
    absl::MutexLock lock(&mu_);
    room_sub_ = room_sub;
    eph_sub_ = eph_sub;
    if (!status.ok()) RequestFinishLocked(status, false);
    finished = finish_requested_ || unsubscribe_wanted_;
  }
  if (finished) {
    UnsubscribeAll();
    Pump();
    return;
  }
  if (!request_.has_since_offset()) return;

  status = Replay();
  bool check_tail;
  {
    absl::MutexLock lock(&mu_);
    if (!status.ok()) {
      RequestFinishLocked(status, true);
    } else {
      replaying_ = false;
      for (auto& [stored, previous] : held_) SendPersistedLocked(std::move(stored), previous);
      held_.clear();
    }
    // The replay's last read may predate a reconnect whose check it deferred.
    check_tail = tail_check_after_replay_ && !finish_requested_;
  }
  Pump();
  if (check_tail) context_.watches->Check(this);
}

absl::Status WatchReactor::Subscribe(const std::string& subject, natsMsgHandler handler,
                                     natsSubscription** sub) {
  refs_.fetch_add(1);  // released by OnSubscriptionComplete
  natsStatus s = natsConnection_Subscribe(sub, context_.nats->raw(), subject.c_str(), handler, this);
  if (s == NATS_OK) {
    s = natsSubscription_SetOnCompleteCB(*sub, &WatchReactor::OnSubscriptionComplete, this);
  }
  if (s == NATS_OK) return absl::OkStatus();
  // Without a completion callback there is nothing to release the reference.
  refs_.fetch_sub(1);
  if (*sub != nullptr) {
    natsSubscription_Unsubscribe(*sub);
    natsSubscription_Destroy(*sub);
    *sub = nullptr;
  }
  return FromNatsStatus(s, "subscribe to " + subject);
}

absl::Status WatchReactor::Replay() {
  // The server must know the live subscription before history is read, or a
  // message stored in between would be in neither.
  natsStatus s = natsConnection_FlushTimeout(context_.nats->raw(), kFlushTimeoutMs);
  if (s != NATS_OK) return FromNatsStatus(s, "flush the watch subscription");
  uint64_t after = request_.since_offset();
  while (true) {
    auto batch = context_.history->ReadAfter(request_.room(), after, kReplayBatch);
    if (!batch.ok()) return batch.status();
    {
      absl::MutexLock lock(&mu_);
      auto room_for_batch = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return finish_requested_ || queue_.size() <= context_.max_queued_events / 2;
      };
      mu_.Await(absl::Condition(&room_for_batch));
      if (finish_requested_) return absl::OkStatus();
      for (auto& stored : *batch) {
        after = stored.offset;
        last_offset_ = stored.offset;
        v1::WatchEvent event;
        *event.mutable_message() = ToClientMessage(std::move(stored));
        queue_.push_back(std::move(event));
      }
    }
    Pump();
    if (batch->size() < kReplayBatch) return absl::OkStatus();
  }
}

void WatchReactor::OnRoomMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                                 void* closure) {
  auto* self = static_cast<WatchReactor*>(closure);
  auto stored = fanout::ParseStored(msg);
  const uint64_t previous = PreviousOffset(msg);
  natsMsg_Destroy(msg);
  if (!stored.ok()) {
    SB_LOG_WARN("watch {}: dropping a live message: {}", self->request_.room(),
                stored.status().ToString());
    return;
  }
  self->DeliverLive(std::move(*stored), previous);
}

void WatchReactor::DeliverLive(fanout::StoredMessage stored, uint64_t previous_offset) {
  {
    absl::MutexLock lock(&mu_);
    if (finish_requested_) return;
    if (replaying_) {
      if (held_.size() >= context_.max_queued_events) {
        RequestFinishLocked(absl::ResourceExhaustedError(
                                "too many live messages during the replay; watch again with a "
                                "more recent since_offset"),
                            false);
      } else {
        held_.emplace_back(std::move(stored), previous_offset);
      }
    } else {
      SendPersistedLocked(std::move(stored), previous_offset);
    }
  }
  Pump();
}

void WatchReactor::SendPersistedLocked(fanout::StoredMessage stored, uint64_t previous_offset) {
  if (finish_requested_) return;
  if (stored.offset <= last_offset_) return;  // already sent by the replay
  if (request_.has_since_offset() && last_offset_ != 0 && previous_offset != kUnknownOffset &&
      previous_offset != last_offset_) {
    // Live messages were missed (NATS reconnect): the caller asked for every
    // message, so say where to resume rather than skip silently.
    RequestFinishLocked(MissedError(last_offset_), true);
    return;
  }
  last_offset_ = stored.offset;
  v1::WatchEvent event;
  *event.mutable_message() = ToClientMessage(std::move(stored));
  EnqueueLocked(std::move(event));
}

void WatchReactor::OnEphemeralMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                                      void* closure) {
  auto* self = static_cast<WatchReactor*>(closure);
  Publication publication;
  const bool parsed = publication.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
  if (!parsed) {
    SB_LOG_WARN("watch {}: dropping an ephemeral message that is not a Publication",
                self->request_.room());
    return;
  }
  v1::WatchEvent event;
  if (publication.has_presence()) {
    if (!self->request_.presence()) return;
    *event.mutable_presence() = std::move(*publication.mutable_presence());
    if (event.presence().room().empty()) event.mutable_presence()->set_room(self->request_.room());
  } else if (publication.has_ephemeral()) {
    auto* e = event.mutable_ephemeral();
    e->set_room(publication.room());
    e->set_type(publication.ephemeral().type());
    e->set_name(publication.ephemeral().name());
    if (publication.has_sender()) *e->mutable_sender() = std::move(*publication.mutable_sender());
    if (publication.has_time()) *e->mutable_time() = std::move(*publication.mutable_time());
    if (publication.has_payload()) *e->mutable_payload() = std::move(*publication.mutable_payload());
  } else {
    *event.mutable_message() = ToClientMessage(std::move(publication));
  }
  {
    absl::MutexLock lock(&self->mu_);
    self->EnqueueLocked(std::move(event));
  }
  self->Pump();
}

void WatchReactor::OnSubscriptionComplete(void* closure) {
  static_cast<WatchReactor*>(closure)->Unref();
}

void WatchReactor::EnqueueLocked(v1::WatchEvent event) {
  if (finish_requested_) return;
  if (queue_.size() >= context_.max_queued_events) {
    RequestFinishLocked(
        absl::ResourceExhaustedError(
            "watcher fell too far behind; watch again with since_offset = the last offset seen"),
        false);
    return;
  }
  queue_.push_back(std::move(event));
}

void WatchReactor::RequestFinishLocked(absl::Status status, bool drain) {
  if (finish_requested_) return;
  finish_requested_ = true;
  finish_status_ = std::move(status);
  if (!drain) queue_.clear();
  held_.clear();
}

void WatchReactor::Pump() {
  bool write = false;
  grpc::Status finish;
  {
    absl::MutexLock lock(&mu_);
    if (writing_ || finish_sent_) return;
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      write = true;
    } else if (finish_requested_) {
      finish_sent_ = true;
      finish = ToGrpcStatus(finish_status_);
    } else {
      return;
    }
  }
  // Outside mu_: gRPC may run a reaction (OnWriteDone) on another thread at once.
  if (write) {
    StartWrite(&current_);
    return;
  }
  UnsubscribeAll();
  context_.metrics->Finished(kMethod, finish.error_code(), absl::Now() - started_);
  Finish(finish);
}

void WatchReactor::UnsubscribeAll() {
  std::vector<natsSubscription*> subs;
  {
    absl::MutexLock lock(&mu_);
    unsubscribe_wanted_ = true;
    // Setup may store a subscription after an earlier call: each is taken once.
    for (natsSubscription** sub : {&room_sub_, &eph_sub_}) {
      if (*sub != nullptr && unsubscribed_.insert(*sub).second) subs.push_back(*sub);
    }
  }
  for (natsSubscription* sub : subs) natsSubscription_Unsubscribe(sub);
}

void WatchReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    // Not ok: the call is over (cancelled or the client went away).
    if (!ok) RequestFinishLocked(absl::CancelledError("watch stream closed"), false);
  }
  Pump();
}

void WatchReactor::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    RequestFinishLocked(absl::CancelledError("watch cancelled"), false);
  }
  Pump();
}

void WatchReactor::OnDone() {
  UnsubscribeAll();
  Unref();
}

bool WatchReactor::EndIfBehind(uint64_t stored_last, absl::Time grace_deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (finish_requested_) return false;
    if (replaying_) {
      tail_check_after_replay_ = true;
      return false;
    }
    // Messages stored after the subscription came back arrive live, maybe
    // just behind the tail's answer: give them until the deadline.
    auto caught_up = [this, stored_last]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return finish_requested_ || ResumeOffsetLocked() >= stored_last;
    };
    if (mu_.AwaitWithDeadline(absl::Condition(&caught_up), grace_deadline)) return false;
    RequestFinishLocked(MissedError(ResumeOffsetLocked()), true);
  }
  Pump();
  return true;
}

void WatchReactor::EndTailUnknown(const absl::Status& cause) {
  {
    absl::MutexLock lock(&mu_);
    if (finish_requested_) return;
    if (replaying_) {
      tail_check_after_replay_ = true;
      return;
    }
    const uint64_t resume = ResumeOffsetLocked();
    RequestFinishLocked(
        absl::UnavailableError(absl::StrCat(
            "cannot tell whether messages after offset ", resume,
            " were missed while NATS was unreachable (", cause.message(),
            "); watch again with since_offset=", resume)),
        true);
  }
  Pump();
}

uint64_t WatchReactor::ResumeOffsetLocked() const {
  return last_offset_ != 0 ? last_offset_ : request_.since_offset();
}

bool WatchReactor::TryRef() {
  int refs = refs_.load(std::memory_order_acquire);
  while (refs > 0) {
    if (refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void WatchReactor::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

}  // namespace switchboard::control
