#ifndef SWITCHBOARD_BENCH_DELIVERY_TRACKER_H_
#define SWITCHBOARD_BENCH_DELIVERY_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace switchboard::bench {

// Exact delivery accounting: which messages were published to each room and,
// per receiver, which of them arrived (a bitset per receiver) and how often.
// Messages are numbered per room by a dense sequence carried in the payload, so
// "expected" is every measured message of the receiver's room that the gateway
// did not refuse, and "lost" is each of those a receiver never saw.
// Not thread-safe; used on the io_context thread only.
class DeliveryTracker {
 public:
  struct Totals {
    uint64_t published = 0;       // Measured publishes sent.
    uint64_t acked = 0;           // ... acknowledged with PublishAck.
    uint64_t publish_errors = 0;  // ... refused with an Error frame (not expected).
    uint64_t unacked = 0;         // ... with neither by the end (still expected).
    uint64_t expected = 0;        // Sum over receivers of messages they should get.
    uint64_t received = 0;        // Distinct expected messages that arrived.
    uint64_t lost = 0;            // expected - received.
    uint64_t duplicated = 0;      // Extra copies of measured messages.
    uint64_t receivers = 0;       // Receivers that were joined at some point.
  };

  DeliveryTracker(int rooms, int receivers);

  void AssignReceiver(int receiver, int room);
  // The receiver got Joined at least once; only such receivers expect messages.
  void MarkJoined(int receiver);

  // Registers the next message of `room` and returns its sequence number.
  uint32_t AddPublish(int room, int64_t scheduled_ns, bool measured);
  void OnAck(int room, uint32_t seq);
  void OnPublishError(int room, uint32_t seq);
  // Scheduled send time of a published message, or -1 when unknown.
  int64_t ScheduledNs(int room, uint32_t seq) const;
  bool IsMeasured(int room, uint32_t seq) const;

  // Records a delivery; true when it is the receiver's first copy of a measured
  // message (the one whose latency counts). Messages of other rooms are ignored.
  bool OnDelivered(int receiver, int room, uint32_t seq);

  // True when every measured publish was answered and every joined receiver has
  // every acked one: the drain can stop early.
  bool Complete() const;
  Totals Summarize() const;

 private:
  enum State : uint8_t { kPending = 0, kAcked = 1, kError = 2 };
  struct Room {
    std::vector<int64_t> scheduled_ns;
    std::vector<uint8_t> state;
    std::vector<bool> measured;
    uint64_t measured_acked = 0;
    uint64_t measured_pending = 0;
    uint64_t members = 0;
  };
  struct Receiver {
    int room = -1;
    bool joined = false;
    std::vector<bool> seen;
    uint64_t duplicated = 0;
  };

  std::vector<Room> rooms_;
  std::vector<Receiver> receivers_;
  uint64_t unique_measured_ = 0;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_DELIVERY_TRACKER_H_
