#include "fanout/room_window.h"

#include <algorithm>

namespace switchboard::fanout {

void RoomWindow::Append(std::shared_ptr<const StoredMessage> message, uint64_t prev) {
  if (valid_ && message->offset <= head()) return;  // already in the run
  if (!valid_ || prev != head()) {
    // A gap between the run and this message (or no run yet): start over.
    messages_.clear();
    bytes_ = 0;
    prev_ = prev;
    valid_ = true;
  }
  bytes_ += Bytes(*message);
  messages_.push_back(std::move(message));
  Trim();
}

void RoomWindow::Invalidate() {
  messages_.clear();
  bytes_ = 0;
  valid_ = false;
}

void RoomWindow::Merge(uint64_t after, const std::vector<StoredMessage>& read) {
  const uint64_t read_end = read.empty() ? after : read.back().offset;
  if (!valid_ || read_end < prev_ || after > head()) {
    // Nothing to join to. A run that touches the live end is worth more than
    // an old one, so an existing run is only replaced when the read reaches
    // past it.
    if (valid_ && read_end < head()) return;
    messages_.clear();
    bytes_ = 0;
    prev_ = after;
    valid_ = true;
    for (const StoredMessage& m : read) {
      bytes_ += Bytes(m);
      messages_.push_back(std::make_shared<const StoredMessage>(m));
    }
    Trim();
    return;
  }
  // The read and the run overlap or touch: (after, read_end] and
  // (prev_, head] make one run (min(after, prev_), max(read_end, head)].
  if (after < prev_) {
    std::vector<std::shared_ptr<const StoredMessage>> older;
    for (const StoredMessage& m : read) {
      if (m.offset > prev_) break;
      older.push_back(std::make_shared<const StoredMessage>(m));
    }
    for (auto it = older.rbegin(); it != older.rend(); ++it) {
      bytes_ += Bytes(**it);
      messages_.push_front(std::move(*it));
    }
    prev_ = after;
  }
  for (const StoredMessage& m : read) {
    if (m.offset <= head()) continue;
    bytes_ += Bytes(m);
    messages_.push_back(std::make_shared<const StoredMessage>(m));
  }
  Trim();
}

void RoomWindow::Trim() {
  while (!messages_.empty() && (messages_.size() > max_messages_ || bytes_ > max_bytes_)) {
    bytes_ -= Bytes(*messages_.front());
    prev_ = messages_.front()->offset;
    messages_.pop_front();
  }
}

std::optional<RoomWindow::Slice> RoomWindow::Read(uint64_t after, size_t limit,
                                                  size_t max_bytes) const {
  if (!valid_ || after < prev_ || after > head()) return std::nullopt;
  Slice slice;
  slice.head = head();
  // The first message after `after` (offsets increase along the run).
  auto it = std::upper_bound(
      messages_.begin(), messages_.end(), after,
      [](uint64_t offset, const std::shared_ptr<const StoredMessage>& m) {
        return offset < m->offset;
      });
  size_t bytes = 0;
  for (; it != messages_.end() && slice.messages.size() < limit && bytes < max_bytes; ++it) {
    bytes += Bytes(**it);
    slice.messages.push_back(**it);
  }
  return slice;
}

}  // namespace switchboard::fanout
