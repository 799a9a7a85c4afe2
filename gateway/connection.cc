#include "gateway/connection.h"

#include <array>

#include <boost/asio/buffer.hpp>

#include "absl/random/random.h"
#include "gateway/gateway_metrics.h"
#include "gateway/worker.h"
#include "gateway/ws/frame_encoder.h"

namespace switchboard::gateway {

namespace net = boost::asio;

namespace {

// Frames gathered into one write; sendmsg takes up to IOV_MAX (1024).
constexpr size_t kMaxGather = 128;
// Reads per readiness event before yielding to other connections.
constexpr int kMaxReadsPerEvent = 4;
// How long a closing connection waits for the peer to finish.
constexpr int64_t kLingerMicros = 5'000'000;

bool WouldBlock(const boost::system::error_code& ec) {
  return ec == net::error::would_block || ec == net::error::try_again;
}

}  // namespace

Connection::Connection(Worker& worker, Transport transport, FrameFormat format,
                       ConnectionSlot slot, std::string upgrade_token)
    : worker_(worker),
      transport_(std::move(transport)),
      format_(format),
      slot_(std::move(slot)),
      reader_(ws::FrameReader::Limits{worker.ctx().options->limits.max_message_bytes,
                                      worker.ctx().options->limits.max_message_bytes}),
      session_(*this, std::move(upgrade_token)) {}

Connection::~Connection() = default;

void Connection::Start(std::string leftover) {
  boost::system::error_code ec;
  transport_.socket().non_blocking(true, ec);
  transport_.socket().set_option(net::ip::tcp::no_delay(true), ec);
  last_rx_us_ = worker_.NowMicros();
  // The first ping comes after a random part of the interval, so that
  // connections opened together (a deploy, a reconnect storm, a load test) do
  // not ping together ever after: 10,000 pings and their pongs in one worker
  // pass stall delivery for milliseconds (measured: many-room p99 19 ms with
  // synchronized pings, 8.6 ms without; docs/performance.md).
  static thread_local absl::InsecureBitGen jitter;
  const int64_t interval_us =
      absl::ToInt64Microseconds(worker_.ctx().options->limits.ping_interval);
  last_ping_us_ =
      last_rx_us_ - (interval_us > 0 ? absl::Uniform<int64_t>(jitter, 0, interval_us) : 0);
  session_.OnOpen();
  if (!leftover.empty()) {
    absl::Status status = reader_.ConsumeInPlace(leftover.data(), leftover.size(), *this);
    if (!status.ok()) return Close(reader_.close_code(), status.message());
  }
  ContinueReading();
}

void Connection::WaitReadable() {
  if (waiting_readable_ || state_ == State::kClosed) return;
  waiting_readable_ = true;
  transport_.socket().async_wait(net::ip::tcp::socket::wait_read,
                                 [self = shared_from_this()](boost::system::error_code ec) {
                                   self->waiting_readable_ = false;
                                   if (ec) {
                                     if (self->state_ != State::kClosed) self->Teardown();
                                     return;
                                   }
                                   self->OnReadable();
                                 });
}

void Connection::ContinueReading() {
  if (!transport_.HasBufferedInput()) return WaitReadable();
  // TLS read whole records ahead: no readiness event will announce them.
  worker_.Post([self = shared_from_this()] {
    if (self->state_ != State::kClosed) self->OnReadable();
  });
}

void Connection::OnReadable() {
  for (int i = 0; i < kMaxReadsPerEvent && state_ != State::kClosed; ++i) {
    boost::system::error_code ec;
    size_t n = transport_.ReadSome(worker_.read_buffer(), worker_.read_buffer_size(), ec);
    if (WouldBlock(ec)) break;
    if (ec) return Teardown();  // EOF or reset: the peer is gone
    last_rx_us_ = worker_.NowMicros();
    if (state_ != State::kOpen) continue;  // closing: discard what the peer still sends
    absl::Status status = reader_.ConsumeInPlace(worker_.read_buffer(), n, *this);
    if (!status.ok()) {
      Close(reader_.close_code(), status.message());
      break;
    }
    if (n < worker_.read_buffer_size() && !transport_.HasBufferedInput()) break;  // drained
  }
  if (state_ == State::kClosed) return;
  // TLS may have answered something while reading (an alert, a key update).
  if (transport_.has_pending_output()) worker_.ScheduleFlush(this);
  ContinueReading();
}

void Connection::OnMessage(ws::Opcode type, absl::string_view payload) {
  // Frames that arrive in the same read as a reason to close are ignored.
  if (state_ == State::kOpen) session_.OnFrame(type, payload);
}

void Connection::OnPing(absl::string_view payload) {
  if (state_ != State::kOpen) return;
  // Pongs count against the send queue like any lossless frame: a client that
  // floods pings and never reads its pongs is a slow consumer, not a way to
  // grow the gateway's memory.
  if (queued_bytes_ + payload.size() + 2 > worker_.ctx().options->limits.max_queue_bytes) {
    worker_.stats().slow_consumer_closes.Add();
    return Close(static_cast<uint16_t>(switchboard::client::v1::CLOSE_CODE_SLOW_CONSUMER),
                 "send queue full (unread pongs)", /*discard_queued=*/true);
  }
  QueueUnchecked(std::make_shared<const std::string>(ws::EncodeFrame(ws::Opcode::kPong, payload)));
}

void Connection::OnPong(absl::string_view) {}

void Connection::OnClose(uint16_t code, absl::string_view) {
  // Answer with 1000 (an empty close when the client sent no code), then finish.
  Close(code == ws::kCloseNoStatus ? ws::kCloseNoStatus : ws::kCloseNormal, "");
}

bool Connection::Send(const SharedFrame& frame, MessageClass cls) {
  if (state_ != State::kOpen) return false;
  const auto& limits = worker_.ctx().options->limits;
  const int c = static_cast<int>(cls);
  const bool lossy = cls == MessageClass::kEphemeral || cls == MessageClass::kPresence;
  if (lossy && queued_bytes_ > limits.lossy_queue_bytes) {
    worker_.stats().drops[c].Add();
    return false;
  }
  if (!lossy && queued_bytes_ + frame->size() > limits.max_queue_bytes) {
    worker_.stats().slow_consumer_closes.Add();
    Close(static_cast<uint16_t>(switchboard::client::v1::CLOSE_CODE_SLOW_CONSUMER),
          "send queue full: resume from your last offset", /*discard_queued=*/true);
    return false;
  }
  worker_.stats().messages_out[c].Add();
  worker_.stats().bytes_out[c].Add(frame->size());
  QueueUnchecked(frame);
  return true;
}

void Connection::QueueUnchecked(SharedFrame frame) {
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  worker_.ScheduleFlush(this);
}

void Connection::Close(uint16_t code, absl::string_view reason, bool discard_queued) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  if (discard_queued && queue_head_ < queue_.size()) {
    // Keep only the frame being written (cutting it would corrupt the stream),
    // so the Close frame follows it without waiting behind the backlog.
    const size_t keep = queue_head_ + (head_offset_ > 0 ? 1 : 0);
    for (size_t i = keep; i < queue_.size(); ++i) queued_bytes_ -= queue_[i]->size();
    queue_.resize(keep);
  }
  close_code_ = code;
  worker_.stats().closes[CloseCodeSlot(code)].Add();
  QueueUnchecked(std::make_shared<const std::string>(ws::EncodeCloseFrame(code, reason)));
  linger_deadline_us_ = worker_.NowMicros() + kLingerMicros;
}

void Connection::Flush() {
  flush_scheduled = false;
  if (state_ == State::kClosed || state_ == State::kLingering || waiting_writable_) return;
  worker_.stats().queue_bytes.Observe(static_cast<double>(queued_bytes_));
  while (queue_head_ < queue_.size()) {
    std::array<net::const_buffer, kMaxGather> buffers;
    size_t count = 0;
    for (size_t i = queue_head_; i < queue_.size() && count < kMaxGather; ++i, ++count) {
      const std::string& f = *queue_[i];
      const size_t skip = i == queue_head_ ? head_offset_ : 0;
      buffers[count] = net::const_buffer(f.data() + skip, f.size() - skip);
    }
    boost::system::error_code ec;
    size_t written = transport_.WriteSome(buffers.data(), count, ec);
    worker_.stats().write_syscalls.Add();
    if (ec) return OnWriteStopped(ec);
    queued_bytes_ -= written;
    while (written > 0) {
      const size_t left = queue_[queue_head_]->size() - head_offset_;
      if (written >= left) {
        written -= left;
        queue_[queue_head_].reset();
        ++queue_head_;
        head_offset_ = 0;
      } else {
        head_offset_ += written;
        written = 0;
      }
    }
  }
  queue_.clear();
  queue_head_ = 0;
  if (queue_.capacity() > 64) queue_.shrink_to_fit();  // idle connections stay small
  boost::system::error_code ec;
  if (!transport_.FlushOutput(ec)) return OnWriteStopped(ec);  // TLS ciphertext left over
  if (state_ == State::kClosing) {
    // Everything including our Close frame is out: stop writing, and read until
    // the peer closes too (closing with unread input would reset the
    // connection and could destroy the Close frame in flight).
    if (!transport_.ShutdownSend(ec)) return OnWriteStopped(ec);
    state_ = State::kLingering;
    // The peer took the Close frame (it may have needed most of the first
    // linger to read its backlog); it gets a fresh one to answer.
    linger_deadline_us_ = worker_.NowMicros() + kLingerMicros;
  }
}

void Connection::OnWriteStopped(const boost::system::error_code& ec) {
  if (WouldBlock(ec)) return WaitWritable();
  Teardown();
}

void Connection::WaitWritable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  transport_.socket().async_wait(net::ip::tcp::socket::wait_write,
                                 [self = shared_from_this()](boost::system::error_code ec) {
                                   self->waiting_writable_ = false;
                                   if (ec) {
                                     if (self->state_ != State::kClosed) self->Teardown();
                                     return;
                                   }
                                   self->Flush();
                                 });
}

void Connection::OnTick(int64_t now_us) {
  if (state_ == State::kClosed) return;
  if (state_ != State::kOpen) {
    if (now_us >= linger_deadline_us_) Teardown();
    return;
  }
  // Session deadlines first: a client that never sent Connect is told so
  // (4003) rather than that it is silent.
  session_.OnTick(now_us);
  if (state_ != State::kOpen) return;
  const auto& limits = worker_.ctx().options->limits;
  if (now_us - last_rx_us_ > absl::ToInt64Microseconds(limits.ping_timeout)) {
    return Close(static_cast<uint16_t>(switchboard::client::v1::CLOSE_CODE_HEARTBEAT_TIMEOUT),
                 "heartbeat timeout");
  }
  if (now_us - last_ping_us_ >= absl::ToInt64Microseconds(limits.ping_interval)) {
    last_ping_us_ = now_us;
    static const SharedFrame kPing =
        std::make_shared<const std::string>(ws::EncodeFrame(ws::Opcode::kPing, ""));
    QueueUnchecked(kPing);
  }
}

void Connection::Teardown() {
  if (state_ == State::kClosed) return;
  if (state_ == State::kOpen) worker_.stats().closes[CloseCodeSlot(ws::kCloseAbnormal)].Add();
  state_ = State::kClosed;
  transport_.Close();  // cancels pending waits; their handlers see an error
  queue_.clear();
  queued_bytes_ = 0;
  session_.OnClosed();
  slot_.Release();
  worker_.Forget(this);
}

}  // namespace switchboard::gateway
