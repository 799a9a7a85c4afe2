#include "fanout/history_reader.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/nats_status.h"

namespace switchboard::fanout {
namespace {

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

}  // namespace

absl::StatusOr<StoredMessage> ParseStored(natsMsg* msg) {
  StoredMessage out;
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Sequence", &value) != NATS_OK || value == nullptr ||
      !absl::SimpleAtoi(value, &out.offset)) {
    return absl::InternalError("stored message has no Nats-Sequence header");
  }
  value = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Time-Stamp", &value) == NATS_OK && value != nullptr) {
    std::string err;
    absl::ParseTime(absl::RFC3339_full, value, &out.stored_at, &err);
  }
  if (!out.publication.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
    return absl::DataLossError(absl::StrCat("stored message ", out.offset, " is not a Publication"));
  }
  return out;
}

HistoryReader::HistoryReader(NatsConnection* nats, Subjects subjects, int threads)
    : nats_(nats), subjects_(std::move(subjects)), pool_(threads, SIZE_MAX) {}

HistoryReader::~HistoryReader() = default;

void HistoryReader::Run(std::function<void()> task) {
  // Refused only while the reader is being destroyed; the task is dropped
  // then, as before any thread could run it.
  pool_.TrySubmit(std::move(task));
}

absl::StatusOr<StoredMessage> HistoryReader::NextFrom(const std::string& subject,
                                                      uint64_t from) const {
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  jsDirectGetMsgOptions options;
  jsDirectGetMsgOptions_Init(&options);
  options.Sequence = from;
  options.NextBySubject = subject.c_str();
  natsMsg* raw = nullptr;
  natsStatus s = js_DirectGetMsg(&raw, nats_->jetstream(), subjects_.StreamName().c_str(),
                                 nullptr, &options);
  MsgPtr msg(raw);
  if (s == NATS_NOT_FOUND) return absl::NotFoundError("no more messages");
  if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("read ", subject));
  return ParseStored(msg.get());
}

absl::StatusOr<std::vector<StoredMessage>> HistoryReader::ReadAfter(absl::string_view room,
                                                                    uint64_t after, size_t limit,
                                                                    size_t max_bytes) const {
  const std::string subject = subjects_.Publish(room);
  std::vector<StoredMessage> out;
  uint64_t next = after + 1;
  size_t bytes = 0;
  while (out.size() < limit && bytes < max_bytes) {
    auto m = NextFrom(subject, next);
    if (absl::IsNotFound(m.status())) break;
    if (!m.ok()) return m.status();
    next = m->offset + 1;
    bytes += m->publication.payload().ByteSizeLong();
    out.push_back(std::move(*m));
  }
  return out;
}

absl::StatusOr<std::vector<StoredMessage>> HistoryReader::ReadLatest(absl::string_view room,
                                                                     size_t limit,
                                                                     size_t max_bytes) const {
  // Direct get can only walk forward, so read the retained window (bounded by
  // the stream's per-room history) and keep its tail.
  std::deque<StoredMessage> tail;
  const std::string subject = subjects_.Publish(room);
  uint64_t next = 1;
  size_t bytes = 0;
  if (limit == 0) return std::vector<StoredMessage>();
  while (true) {
    auto m = NextFrom(subject, next);
    if (absl::IsNotFound(m.status())) break;
    if (!m.ok()) return m.status();
    next = m->offset + 1;
    bytes += m->publication.payload().ByteSizeLong();
    tail.push_back(std::move(*m));
    while (tail.size() > limit || (bytes > max_bytes && tail.size() > 1)) {
      bytes -= tail.front().publication.payload().ByteSizeLong();
      tail.pop_front();
    }
  }
  return std::vector<StoredMessage>(std::make_move_iterator(tail.begin()),
                                    std::make_move_iterator(tail.end()));
}

absl::StatusOr<uint64_t> HistoryReader::LastOffset(absl::string_view room) const {
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  const std::string subject = subjects_.Publish(room);
  jsDirectGetMsgOptions options;
  jsDirectGetMsgOptions_Init(&options);
  options.LastBySubject = subject.c_str();
  natsMsg* raw = nullptr;
  natsStatus s = js_DirectGetMsg(&raw, nats_->jetstream(), subjects_.StreamName().c_str(),
                                 nullptr, &options);
  MsgPtr msg(raw);
  if (s == NATS_NOT_FOUND) return 0;
  if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("last offset of ", room));
  auto stored = ParseStored(msg.get());
  if (!stored.ok()) return stored.status();
  return stored->offset;
}

absl::StatusOr<uint64_t> HistoryReader::FirstOffset(absl::string_view room) const {
  auto m = NextFrom(subjects_.Publish(room), 1);
  if (absl::IsNotFound(m.status())) return 0;
  if (!m.ok()) return m.status();
  return m->offset;
}

absl::StatusOr<bool> HistoryReader::IsRetained(absl::string_view room, uint64_t offset) const {
  auto m = NextFrom(subjects_.Publish(room), offset);
  if (absl::IsNotFound(m.status())) return false;
  if (!m.ok()) return m.status();
  return m->offset == offset;
}

}  // namespace switchboard::fanout
