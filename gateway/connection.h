#ifndef SWITCHBOARD_GATEWAY_CONNECTION_H_
#define SWITCHBOARD_GATEWAY_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/codec/shared_frame.h"
#include "gateway/connection_slot.h"
#include "gateway/session.h"
#include "gateway/transport.h"
#include "gateway/worker_stats.h"
#include "gateway/ws/frame_reader.h"

namespace switchboard::gateway {

class Worker;

// One upgraded WebSocket connection: the gateway's own RFC 6455 framing on a
// raw TCP socket, or on TLS over it (see ARCHITECTURE.md, "Fan-out speed";
// Transport keeps the plain path a direct socket call). Incoming bytes are
// read into the worker's shared buffer and parsed by a FrameReader; outgoing
// frames wait in an ordered queue of shared, pre-encoded frames and leave in
// one gather write per flush. Pongs and close frames go through the same queue,
// so nothing ever interleaves inside a frame.
//
// Owned by its worker and used only on that worker's thread; async handlers
// hold a shared_ptr so the object outlives them.
class Connection : public std::enable_shared_from_this<Connection>,
                   private ws::FrameReader::Handler {
 public:
  // `slot` is the socket's admitted claim on the connection limits, held
  // until the connection is torn down.
  Connection(Worker& worker, Transport transport, FrameFormat format, ConnectionSlot slot,
             std::string upgrade_token);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading; `leftover` holds bytes read past the HTTP upgrade.
  void Start(std::string leftover);

  // Queues a frame. Lossy classes are dropped (and counted) when the queue
  // holds more than lossy_queue_bytes; a lossless frame that would push the
  // queue past max_queue_bytes closes the connection with 4005 instead.
  // Returns false if the frame was not queued.
  bool Send(const SharedFrame& frame, MessageClass cls);

  // Sends a Close frame with `code` and `reason` after whatever is queued (or,
  // with `discard_queued`, right after the frame being written: a slow
  // consumer will resume from its offset anyway), then shuts the socket down.
  // A peer that has not taken the Close frame (and the backlog in the kernel
  // before it) after 5 s is cut off, and so is one that has not answered 5 s
  // after taking it. Further sends are ignored. Idempotent.
  void Close(uint16_t code, absl::string_view reason, bool discard_queued = false);

  // Writes as much of the queue as the socket takes now (the worker calls this
  // once per loop pass for every connection that queued something).
  void Flush();

  // Heartbeats and deadlines; called by the worker about once a second.
  void OnTick(int64_t now_us);

  Session& session() { return session_; }
  Worker& worker() { return worker_; }
  FrameFormat format() const { return format_; }
  const std::string& remote_ip() const { return slot_.ip(); }
  bool open() const { return state_ == State::kOpen; }
  size_t queued_bytes() const { return queued_bytes_; }

  // Worker bookkeeping.
  size_t worker_index = 0;
  bool flush_scheduled = false;
  // While draining: when to send GoingAway and close (0: not scheduled).
  int64_t drain_close_at_us = 0;

 private:
  enum class State : uint8_t {
    kOpen,      // reading and writing
    kClosing,   // Close frame queued; flushing what is left
    kLingering, // sent everything, write side shut; reading until EOF or deadline
    kClosed,    // socket closed, session torn down
  };

  void WaitReadable();
  // WaitReadable, or another read pass soon when TLS already holds input.
  void ContinueReading();
  void OnReadable();
  void WaitWritable();
  // A write or flush stopped with `ec`: wait for the socket, or give up.
  void OnWriteStopped(const boost::system::error_code& ec);
  void Teardown();

  // FrameReader::Handler
  void OnMessage(ws::Opcode type, absl::string_view payload) override;
  void OnPing(absl::string_view payload) override;
  void OnPong(absl::string_view payload) override;
  void OnClose(uint16_t code, absl::string_view reason) override;

  void QueueUnchecked(SharedFrame frame);

  Worker& worker_;
  Transport transport_;
  const FrameFormat format_;
  ConnectionSlot slot_;
  ws::FrameReader reader_;
  State state_ = State::kOpen;
  bool waiting_readable_ = false;
  bool waiting_writable_ = false;

  // Ordered send queue: entries before queue_head_ are written; head_offset_
  // bytes of queue_[queue_head_] are written.
  std::vector<SharedFrame> queue_;
  size_t queue_head_ = 0;
  size_t head_offset_ = 0;
  size_t queued_bytes_ = 0;

  int64_t last_rx_us_ = 0;
  int64_t last_ping_us_ = 0;
  int64_t linger_deadline_us_ = 0;
  uint16_t close_code_ = 0;

  Session session_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_CONNECTION_H_
