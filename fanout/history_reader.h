#ifndef SWITCHBOARD_FANOUT_HISTORY_READER_H_
#define SWITCHBOARD_FANOUT_HISTORY_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "common/worker_pool.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::fanout {

// One message of a persisted room as stored in JetStream.
struct StoredMessage {
  uint64_t offset = 0;
  absl::Time stored_at;
  switchboard::bus::v1::Publication publication;
};

// Reads persisted rooms back from the stream (JetStream direct get, which
// needs AllowDirect; any replica answers). The read calls block for a NATS
// round trip each, so the gateway calls them through Run(), on the reader's
// own threads; the control plane calls them from its RPC threads.
// Thread-safe.
class HistoryReader {
 public:
  HistoryReader(NatsConnection* nats, Subjects subjects, int threads = 2);
  ~HistoryReader();
  HistoryReader(const HistoryReader&) = delete;
  HistoryReader& operator=(const HistoryReader&) = delete;

  // Messages of `room` with offset > `after`, in offset order: at most `limit`
  // messages, and it stops after the message that reaches `max_bytes` of
  // payload (at least one message is returned when there is one).
  absl::StatusOr<std::vector<StoredMessage>> ReadAfter(absl::string_view room, uint64_t after,
                                                       size_t limit,
                                                       size_t max_bytes = SIZE_MAX) const;
  // The most recent messages of `room`, in offset order: at most `limit`, and
  // no more than fit in `max_bytes` of payload (the newest are kept).
  absl::StatusOr<std::vector<StoredMessage>> ReadLatest(absl::string_view room, size_t limit,
                                                        size_t max_bytes = SIZE_MAX) const;
  // The offset of the room's newest message; 0 when the room has none.
  absl::StatusOr<uint64_t> LastOffset(absl::string_view room) const;
  // The offset of the room's oldest retained message; 0 when none.
  absl::StatusOr<uint64_t> FirstOffset(absl::string_view room) const;
  // Whether the message at `offset` is still retained and belongs to `room`.
  absl::StatusOr<bool> IsRetained(absl::string_view room, uint64_t offset) const;

  // Runs `task` on one of the reader's threads, in FIFO order across tasks.
  void Run(std::function<void()> task);

 private:
  // Direct get of the first message of `subject` with sequence >= `from`;
  // NotFound when there is none.
  absl::StatusOr<StoredMessage> NextFrom(const std::string& subject, uint64_t from) const;

  NatsConnection* nats_;
  Subjects subjects_;
  // Unbounded: the gateway bounds what it submits (one read per room or
  // member catching up). Last, so that its threads finish (running what is
  // queued) before the rest goes.
  WorkerPool pool_;
};

// Parses a stored or republished message into a StoredMessage: the
// Publication in its data, and the sequence from its metadata
// (`Nats-Sequence` header or direct-get reply). Used by the hub too.
absl::StatusOr<StoredMessage> ParseStored(natsMsg* msg);

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_HISTORY_READER_H_
