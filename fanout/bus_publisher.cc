#include "fanout/bus_publisher.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/nats_status.h"

namespace switchboard::fanout {

using switchboard::bus::v1::Publication;

BusPublisher::BusPublisher(NatsConnection* nats, Subjects subjects, absl::Duration ack_timeout)
    : nats_(nats), subjects_(std::move(subjects)), ack_timeout_(ack_timeout) {}

BusPublisher::~BusPublisher() {
  // Outstanding acks are answered (with an error) by NATS.c while closing the
  // connection; the context itself must go before the connection does.
  jsCtx_Destroy(js_);
  absl::MutexLock lock(&mu_);
  for (auto& [msg, done] : pending_) done(absl::UnavailableError("publisher shut down"));
  pending_.clear();
}

absl::StatusOr<std::unique_ptr<BusPublisher>> BusPublisher::Create(NatsConnection* nats,
                                                                   Subjects subjects,
                                                                   absl::Duration ack_timeout) {
  std::unique_ptr<BusPublisher> self(new BusPublisher(nats, std::move(subjects), ack_timeout));
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = absl::ToInt64Milliseconds(ack_timeout);
  options.PublishAsync.AckHandler = &BusPublisher::OnAck;
  options.PublishAsync.AckHandlerClosure = self.get();
  // Bounds memory if JetStream stalls; publishes beyond it wait up to StallWait.
  options.PublishAsync.MaxPending = 65536;
  natsStatus s = natsConnection_JetStream(&self->js_, nats->raw(), &options);
  if (s != NATS_OK) return FromNatsStatus(s, "jetstream context for publishing");
  return self;
}

std::string BusPublisher::DedupeKey(const Publication& publication) {
  // '|' can appear in neither a room name nor (by validation) a message id.
  return absl::StrCat(publication.room(), "|", publication.sender().user_id(), "|",
                      publication.message_id());
}

void BusPublisher::PublishPersisted(const Publication& publication, AckCallback done) {
  if (!nats_->connected()) {
    done(absl::UnavailableError("not connected to NATS; retry with the same message id"));
    return;
  }
  const std::string subject = subjects_.Publish(publication.room());
  const std::string data = publication.SerializeAsString();
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(),
                                static_cast<int>(data.size()));
  if (s != NATS_OK) {
    done(FromNatsStatus(s, "create message"));
    return;
  }
  const std::string key = DedupeKey(publication);
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = key.c_str();
  options.MaxWait = absl::ToInt64Milliseconds(ack_timeout_);
  {
    // Registered before publishing: the ack may arrive before the call returns.
    absl::MutexLock lock(&mu_);
    pending_[msg] = std::move(done);
  }
  natsMsg* owned = msg;
  s = js_PublishMsgAsync(js_, &owned, &options);
  if (s != NATS_OK) {
    AckCallback callback;
    {
      absl::MutexLock lock(&mu_);
      auto it = pending_.find(msg);
      if (it != pending_.end()) {
        callback = std::move(it->second);
        pending_.erase(it);
      }
    }
    natsMsg_Destroy(owned);  // no-op when the library took it
    if (callback) callback(FromNatsStatus(s, absl::StrCat("publish to ", subject)));
  }
}

void BusPublisher::OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure) {
  auto* self = static_cast<BusPublisher*>(closure);
  AckCallback callback;
  {
    absl::MutexLock lock(&self->mu_);
    auto it = self->pending_.find(msg);
    if (it == self->pending_.end()) {
      natsMsg_Destroy(msg);
      return;
    }
    callback = std::move(it->second);
    self->pending_.erase(it);
  }
  natsMsg_Destroy(msg);
  if (err != nullptr) {
    absl::Status status = FromNatsStatus(err->Err, "publish ack");
    if (err->ErrText != nullptr) {
      status = absl::Status(status.code(), absl::StrCat(status.message(), ": ", err->ErrText));
    }
    callback(status);
    return;
  }
  if (ack == nullptr) {
    callback(absl::InternalError("publish ack without content"));
    return;
  }
  callback(PublishAck{ack->Sequence, ack->Duplicate});
}

absl::StatusOr<PublishAck> BusPublisher::PublishPersistedSync(const Publication& publication) {
  // Shared with the callback, which may outlive this call if the wait below
  // gives up first.
  struct State {
    absl::Notification done;
    absl::StatusOr<PublishAck> result = absl::UnknownError("no ack");
  };
  auto state = std::make_shared<State>();
  PublishPersisted(publication, [state](absl::StatusOr<PublishAck> ack) {
    state->result = std::move(ack);
    state->done.Notify();
  });
  // NATS.c times the ack out after ack_timeout_; the margin covers scheduling.
  if (!state->done.WaitForNotificationWithTimeout(ack_timeout_ + absl::Seconds(5))) {
    return absl::DeadlineExceededError("publish ack did not arrive");
  }
  return state->result;
}

absl::Status BusPublisher::PublishEphemeral(const Publication& publication) {
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  const std::string subject = subjects_.Ephemeral(publication.room());
  const std::string data = publication.SerializeAsString();
  return FromNatsStatus(natsConnection_Publish(nats_->raw(), subject.c_str(), data.data(),
                                               static_cast<int>(data.size())),
                        absl::StrCat("publish to ", subject));
}

}  // namespace switchboard::fanout
