#include "control/history_query.h"

#include <algorithm>
#include <string>
#include <utility>

#include "control/request_validation.h"

namespace switchboard::control {

using switchboard::bus::v1::Publication;
using switchboard::client::v1::Message;

HistoryQuery::HistoryQuery(const fanout::HistoryReader* reader) : reader_(reader) {}

absl::Status HistoryQuery::Get(const v1::GetHistoryRequest& request,
                               v1::GetHistoryResponse* response) const {
  if (absl::Status s = ValidateGetHistory(request); !s.ok()) return s;
  size_t limit = request.limit() == 0 ? kDefaultHistoryLimit : request.limit();
  limit = std::min<size_t>(limit, kMaxHistoryLimit);

  // Offsets first: a message stored meanwhile shows up in `messages` with an
  // offset above latest_offset rather than being missed by both.
  auto latest = reader_->LastOffset(request.room());
  if (!latest.ok()) return latest.status();
  auto earliest = reader_->FirstOffset(request.room());
  if (!earliest.ok()) return earliest.status();

  absl::StatusOr<std::vector<fanout::StoredMessage>> messages;
  if (request.range_case() == v1::GetHistoryRequest::kLatest) {
    messages = reader_->ReadLatest(request.room(), limit);
  } else {
    // Without a range: from the oldest retained message.
    messages = reader_->ReadAfter(request.room(), request.after_offset(), limit);
  }
  if (!messages.ok()) return messages.status();
  for (auto& stored : *messages) {
    *response->add_messages() = ToClientMessage(std::move(stored));
  }
  uint64_t latest_offset = *latest;
  if (!messages->empty()) latest_offset = std::max(latest_offset, messages->back().offset);
  response->set_latest_offset(latest_offset);
  response->set_earliest_offset(*earliest);
  return absl::OkStatus();
}

Message ToClientMessage(fanout::StoredMessage stored) {
  Message message = ToClientMessage(std::move(stored.publication));
  message.set_offset(stored.offset);
  if (stored.stored_at != absl::Time()) {
    const int64_t ns = absl::ToUnixNanos(stored.stored_at);
    message.mutable_time()->set_seconds(ns / 1000000000);
    message.mutable_time()->set_nanos(static_cast<int32_t>(ns % 1000000000));
  }
  return message;
}

Message ToClientMessage(Publication publication) {
  Message message;
  message.set_room(std::move(*publication.mutable_room()));
  message.set_message_id(std::move(*publication.mutable_message_id()));
  if (publication.has_sender()) *message.mutable_sender() = std::move(*publication.mutable_sender());
  if (publication.has_time()) *message.mutable_time() = std::move(*publication.mutable_time());
  if (publication.has_payload()) {
    *message.mutable_payload() = std::move(*publication.mutable_payload());
  }
  return message;
}

}  // namespace switchboard::control
