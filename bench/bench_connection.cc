#include "bench/bench_connection.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace switchboard::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BenchConnection::BenchConnection(asio::io_context& io, int index, tcp::endpoint endpoint,
                                 std::string token, WireFormat format,
                                 ConnectionListener* listener)
    : io_(io),
      index_(index),
      endpoint_(std::move(endpoint)),
      token_(std::move(token)),
      format_(format),
      listener_(listener),
      socket_(io),
      mask_state_(0x9E3779B9u ^ static_cast<uint32_t>(index * 2654435761u)) {}

void BenchConnection::Start() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  socket_ = tcp::socket(io_);
  const uint64_t generation = ++generation_;
  open_ = false;
  upgraded_ = false;
  handshake_buffer_.clear();
  codec_ = WsFrameCodec();
  pending_.clear();
  writing_.clear();
  write_in_flight_ = false;
  socket_.async_connect(endpoint_, [this, generation](const boost::system::error_code& ec) {
    OnConnect(generation, ec);
  });
}

void BenchConnection::OnConnect(uint64_t generation, const boost::system::error_code& ec) {
  if (generation != generation_) return;
  if (ec) return Fail(absl::StrCat("connect: ", ec.message()));
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  open_ = true;
  pending_ = absl::StrCat(
      "GET /ws HTTP/1.1\r\nHost: ", endpoint_.address().to_string(), ":", endpoint_.port(),
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
  if (format_ != WireFormat::kRaw) {
    absl::StrAppend(&pending_, "Sec-WebSocket-Protocol: ",
                    format_ == WireFormat::kProto ? "switchboard.v1.proto" : "switchboard.v1.json",
                    "\r\nAuthorization: Bearer ", token_, "\r\n");
  }
  pending_.append("\r\n");
  DoWrite();
  DoRead(generation);
}

void BenchConnection::DoRead(uint64_t generation) {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [this, generation](const boost::system::error_code& ec, size_t n) {
                            OnRead(generation, ec, n);
                          });
}

void BenchConnection::OnRead(uint64_t generation, const boost::system::error_code& ec,
                             size_t bytes) {
  if (generation != generation_) return;
  if (ec) return Fail(absl::StrCat("read: ", ec.message()));
  absl::string_view data(read_buffer_.data(), bytes);
  if (!upgraded_) {
    handshake_buffer_.append(data.data(), data.size());
    if (!HandleHandshake()) return;  // Failed, or needs more bytes (read re-armed).
  } else {
    codec_.Feed(data);
  }
  HandleMessages();
  if (generation == generation_ && open_) DoRead(generation);
}

bool BenchConnection::HandleHandshake() {
  const size_t end = handshake_buffer_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (handshake_buffer_.size() > 16384) {
      Fail("upgrade response too large");
      return false;
    }
    DoRead(generation_);
    return false;
  }
  absl::string_view status_line(handshake_buffer_.data(), handshake_buffer_.find("\r\n"));
  if (!absl::StrContains(status_line, " 101")) {
    Fail(absl::StrCat("upgrade refused: ", status_line));
    return false;
  }
  upgraded_ = true;
  codec_.Feed(absl::string_view(handshake_buffer_).substr(end + 4));
  handshake_buffer_.clear();
  const uint64_t generation = generation_;
  listener_->OnUpgraded(*this);
  return generation == generation_ && open_;  // The listener may have dropped it.
}

void BenchConnection::HandleMessages() {
  WsFrameCodec::Message message;
  client::v1::ServerFrame frame;
  while (open_) {
    absl::StatusOr<bool> next = codec_.Next(&message);
    if (!next.ok()) return Fail(next.status().message());
    if (!*next) return;
    switch (message.opcode) {
      case WsFrameCodec::kPing:
        SendRaw(WsFrameCodec::kPong, message.payload);
        break;
      case WsFrameCodec::kClose: {
        std::string reason = "close";
        if (message.payload.size() >= 2) {
          const int code = (static_cast<uint8_t>(message.payload[0]) << 8) |
                           static_cast<uint8_t>(message.payload[1]);
          reason = absl::StrCat("close ", code, " ", message.payload.substr(2));
        }
        return Fail(reason);
      }
      case WsFrameCodec::kBinary:
      case WsFrameCodec::kText: {
        if (format_ == WireFormat::kRaw) {
          listener_->OnRawMessage(*this, message.payload, NowNs());
          break;
        }
        frame.Clear();
        bool parsed;
        if (format_ == WireFormat::kProto) {
          parsed = frame.ParseFromString(message.payload);
        } else {
          google::protobuf::util::JsonParseOptions options;
          options.ignore_unknown_fields = true;
          parsed = google::protobuf::util::JsonStringToMessage(message.payload, &frame, options)
                       .ok();
        }
        if (!parsed) return Fail("undecodable server frame");
        listener_->OnFrame(*this, frame, NowNs());
        break;
      }
      default:
        break;
    }
  }
}

void BenchConnection::Send(const client::v1::ClientFrame& frame) {
  if (!open_) return;
  std::string body;
  if (format_ == WireFormat::kProto) {
    frame.SerializeToString(&body);
    SendRaw(WsFrameCodec::kBinary, body);
  } else {
    google::protobuf::util::MessageToJsonString(frame, &body);
    SendRaw(WsFrameCodec::kText, body);
  }
}

void BenchConnection::SendBinary(absl::string_view payload) {
  if (open_) SendRaw(WsFrameCodec::kBinary, payload);
}

void BenchConnection::SendRaw(uint8_t opcode, absl::string_view payload) {
  // xorshift32: masks need not be secure for a benchmark, only non-constant.
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  WsFrameCodec::AppendClientFrame(opcode, payload, mask_state_, &pending_);
  DoWrite();
}

void BenchConnection::DoWrite() {
  if (write_in_flight_ || pending_.empty() || !open_) return;
  writing_.swap(pending_);
  pending_.clear();
  write_in_flight_ = true;
  const uint64_t generation = generation_;
  asio::async_write(socket_, asio::buffer(writing_),
                    [this, generation](const boost::system::error_code& ec, size_t) {
                      if (generation != generation_) return;
                      write_in_flight_ = false;
                      if (ec) return Fail(absl::StrCat("write: ", ec.message()));
                      writing_.clear();
                      DoWrite();
                    });
}

void BenchConnection::Drop() {
  ++generation_;
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void BenchConnection::Fail(absl::string_view reason) {
  ++generation_;
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
  listener_->OnClosed(*this, reason);
}

}  // namespace switchboard::bench
