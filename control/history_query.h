#ifndef SWITCHBOARD_CONTROL_HISTORY_QUERY_H_
#define SWITCHBOARD_CONTROL_HISTORY_QUERY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "fanout/history_reader.h"
#include "proto/switchboard/client/v1/client.pb.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::control {

inline constexpr uint32_t kDefaultHistoryLimit = 100;
inline constexpr uint32_t kMaxHistoryLimit = 1000;

// GetHistory: reads a persisted room's retained messages, either those after
// an offset or the latest N (limit 0 = kDefaultHistoryLimit, capped at
// kMaxHistoryLimit), plus the room's latest and earliest retained offsets.
// Ephemeral rooms have no history (InvalidArgument). Thread-safe; blocks for
// one NATS round trip per message read.
class HistoryQuery {
 public:
  // `reader` must outlive this object.
  explicit HistoryQuery(const fanout::HistoryReader* reader);

  absl::Status Get(const switchboard::control::v1::GetHistoryRequest& request,
                   switchboard::control::v1::GetHistoryResponse* response) const;

 private:
  const fanout::HistoryReader* reader_;
};

// A stored message as clients see it. `time` is when it was stored, or its
// publish time when the store time is unknown.
switchboard::client::v1::Message ToClientMessage(fanout::StoredMessage stored);

// An ephemeral-room message (no offset) as clients see it.
switchboard::client::v1::Message ToClientMessage(switchboard::bus::v1::Publication publication);

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_HISTORY_QUERY_H_
