#ifndef SWITCHBOARD_GATEWAY_WS_FRAME_READER_H_
#define SWITCHBOARD_GATEWAY_WS_FRAME_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/ws/protocol.h"
#include "gateway/ws/utf8_validator.h"

namespace switchboard::gateway::ws {

// Incremental parser of the frames a WebSocket client sends to a server
// (RFC 6455 §5), on a connection whose upgrade negotiated no extension.
//
// Bytes go in as they came off the socket, split anywhere (one byte at a time
// works); events come out through a Handler, in stream order: whole data
// messages (fragments reassembled, payload unmasked), pings, pongs, and the
// Close frame. Everything RFC 6455 requires of a server is enforced, as early
// as the offending byte allows:
//   - 1002: unmasked frame; RSV1-3 set; reserved opcode; fragmented control
//     frame or one over 125 bytes; continuation frame with no message to
//     continue, or a new data frame in the middle of a fragmented message
//     (control frames between fragments are fine); 64-bit length with the
//     top bit set; 1-byte Close payload or a refused close code (see
//     IsValidReceivedCloseCode()). Non-minimal length encodings are accepted.
//   - 1007: text message, or Close reason, that is not valid UTF-8. Checked
//     incrementally across fragments, failing at the first bad byte.
//   - 1009: a data frame whose declared length exceeds max_frame_bytes, or
//     would take the message past max_message_bytes; refused on the header,
//     before any of its payload is buffered.
// On a violation Consume() returns an error (kInvalidArgument, or
// kResourceExhausted for 1009) whose message can serve as the close reason,
// and close_code() says which code to send; the reader then stays failed.
// Events delivered before the offending byte stand.
//
// After a Close frame has been delivered the reader is closed(): a client
// sends nothing after its Close (§5.5.1), so later bytes are ignored.
//
// Not thread-safe: one reader per connection, used from that connection's
// executor only. It takes 144 bytes plus the part of a message being
// reassembled; large reassembly buffers are released after each message.
class FrameReader {
 public:
  struct Limits {
    // Largest data message, after reassembly of its fragments.
    uint64_t max_message_bytes = 1 << 20;
    // Largest payload of a single data frame.
    uint64_t max_frame_bytes = 1 << 20;
  };

  // Receives the reader's events, called synchronously from Consume(). The
  // payload views are valid only during the call. A handler must not call
  // back into the reader that called it.
  class Handler {
   public:
    virtual ~Handler() = default;
    // A complete data message; `type` is Opcode::kText (the payload is then
    // valid UTF-8) or Opcode::kBinary.
    virtual void OnMessage(Opcode type, absl::string_view payload) = 0;
    // At most kMaxControlPayloadBytes; the server answers with a pong
    // carrying the same payload.
    virtual void OnPing(absl::string_view payload) = 0;
    virtual void OnPong(absl::string_view payload) = 0;
    // The client's Close frame; `code` is kCloseNoStatus if it carried no
    // payload. `reason` is valid UTF-8. The last event of the reader.
    virtual void OnClose(uint16_t code, absl::string_view reason) = 0;
  };

  explicit FrameReader(Limits limits);

  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // Parses the next `len` bytes of the stream, calling `handler` for every
  // event they complete. Returns OK (also once closed()), or the error of a
  // protocol violation, now or in an earlier call.
  absl::Status Consume(const char* data, size_t len, Handler& handler);

  // Same as Consume(), but unmasks payloads inside `data`, which it
  // overwrites: a control frame, or a message sent as a single frame, whose
  // bytes are all in `data` is then handed to the handler as a view into
  // `data`, without any copy. For a read buffer the caller discards after.
  absl::Status ConsumeInPlace(char* data, size_t len, Handler& handler);

  // The status code to put in the Close frame after Consume() failed
  // (kCloseProtocolError, kCloseInvalidPayload or kCloseMessageTooBig);
  // 0 while the reader has not failed.
  uint16_t close_code() const { return close_code_; }

  bool failed() const { return state_ == State::kFailed; }
  bool closed() const { return state_ == State::kClosed; }

 private:
  enum class State : uint8_t { kHeader, kPayload, kClosed, kFailed };

  // Longest client frame header: 2 bytes, 8 of extended length, 4 of mask.
  static constexpr size_t kMaxHeaderBytes = 14;

  // `writable` is `data` when payloads may be unmasked in place, else null.
  absl::Status Run(const char* data, char* writable, size_t len, Handler& handler);
  // Each takes what it needs of the `len` bytes and returns how many it took.
  size_t ReadHeader(const char* data, size_t len);
  size_t ReadPayload(const char* data, char* writable, size_t len, Handler& handler);
  // Validates the header as far as header_len_ bytes allow.
  void CheckHeader();
  void CheckFullHeader();
  // The current frame's payload is complete.
  void FinishFrame(absl::string_view payload, Handler& handler);
  void DeliverControl(absl::string_view payload, Handler& handler);
  void Fail(uint16_t close_code, absl::StatusCode code, absl::string_view message);

  const Limits limits_;
  State state_ = State::kHeader;

  // Header of the current frame, as far as it has arrived.
  uint8_t header_[kMaxHeaderBytes];
  uint8_t header_len_ = 0;
  uint8_t header_need_ = 1;  // Bytes needed before the next check.

  // The current frame.
  Opcode opcode_ = Opcode::kContinuation;
  bool fin_ = false;
  uint8_t mask_[4] = {0, 0, 0, 0};
  uint64_t frame_len_ = 0;
  uint64_t frame_read_ = 0;

  // The data message the current or last data frame belongs to.
  bool in_message_ = false;
  Opcode message_type_ = Opcode::kBinary;
  Utf8Validator utf8_;
  std::string message_;  // Reassembled payload, when not delivered in place.
  std::string control_;  // Control payload arriving in pieces.

  absl::Status status_;
  uint16_t close_code_ = 0;
};

}  // namespace switchboard::gateway::ws

#endif  // SWITCHBOARD_GATEWAY_WS_FRAME_READER_H_
