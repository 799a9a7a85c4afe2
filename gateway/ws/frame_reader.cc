#include "gateway/ws/frame_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::ws {
namespace {

constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kRsvBits = 0x70;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7F;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr size_t kMaskBytes = 4;

// A reassembly buffer above this capacity is freed after its message: tens of
// thousands of idle connections must not each keep their largest message.
constexpr size_t kRetainedMessageCapacity = 4096;

bool IsKnownOpcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// dst[i] = src[i] ^ key[(phase + i) % 4]; dst may be src. Eight bytes at a
// time: the masking key repeats every four bytes, so a doubled key lines up.
void Unmask(const char* src, char* dst, size_t n, const uint8_t key[kMaskBytes], uint64_t phase) {
  uint8_t rotated[kMaskBytes];
  for (size_t i = 0; i < kMaskBytes; ++i) rotated[i] = key[(phase + i) % kMaskBytes];
  size_t i = 0;
  if (n >= 8) {
    uint8_t doubled[8];
    std::memcpy(doubled, rotated, kMaskBytes);
    std::memcpy(doubled + kMaskBytes, rotated, kMaskBytes);
    uint64_t mask_word;
    std::memcpy(&mask_word, doubled, sizeof(mask_word));
    for (; i + 8 <= n; i += 8) {
      uint64_t word;
      std::memcpy(&word, src + i, sizeof(word));
      word ^= mask_word;
      std::memcpy(dst + i, &word, sizeof(word));
    }
  }
  for (; i < n; ++i) dst[i] = static_cast<char>(src[i] ^ rotated[i % kMaskBytes]);
}

}  // namespace

FrameReader::FrameReader(Limits limits) : limits_(limits) {}

absl::Status FrameReader::Consume(const char* data, size_t len, Handler& handler) {
  return Run(data, nullptr, len, handler);
}

absl::Status FrameReader::ConsumeInPlace(char* data, size_t len, Handler& handler) {
  return Run(data, data, len, handler);
}

absl::Status FrameReader::Run(const char* data, char* writable, size_t len, Handler& handler) {
  size_t pos = 0;
  while (true) {
    if (state_ == State::kHeader) {
      if (pos == len) break;
      pos += ReadHeader(data + pos, len - pos);
    } else if (state_ == State::kPayload) {
      // An empty payload completes its frame without input.
      if (pos == len && frame_read_ < frame_len_) break;
      pos += ReadPayload(data + pos, writable == nullptr ? nullptr : writable + pos, len - pos,
                         handler);
    } else {
      break;
    }
  }
  return status_;
}

size_t FrameReader::ReadHeader(const char* data, size_t len) {
  size_t used = 0;
  while (used < len && state_ == State::kHeader) {
    const size_t take = std::min<size_t>(header_need_ - header_len_, len - used);
    std::memcpy(header_ + header_len_, data + used, take);
    header_len_ += take;
    used += take;
    if (header_len_ < header_need_) break;
    CheckHeader();
  }
  return used;
}

void FrameReader::CheckHeader() {
  if (header_len_ == 1) {
    const uint8_t b0 = header_[0];
    if ((b0 & kRsvBits) != 0) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  "reserved bits set in a frame header, but no extension was negotiated");
    }
    const uint8_t op = b0 & kOpcodeBits;
    if (!IsKnownOpcode(op)) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  absl::StrCat("reserved opcode ", op));
    }
    opcode_ = static_cast<Opcode>(op);
    fin_ = (b0 & kFinBit) != 0;
    if (IsControl(opcode_)) {
      if (!fin_) {
        return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                    "fragmented control frame");
      }
    } else if (opcode_ == Opcode::kContinuation) {
      if (!in_message_) {
        return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                    "continuation frame without a message to continue");
      }
    } else if (in_message_) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  "new data frame before the fragmented message was finished");
    }
    header_need_ = 2;
    return;
  }
  if (header_len_ == 2) {
    const uint8_t b1 = header_[1];
    if ((b1 & kMaskBit) == 0) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  "unmasked frame from a client");
    }
    const uint8_t len7 = b1 & kLengthBits;
    if (IsControl(opcode_) && len7 > kMaxControlPayloadBytes) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  "control frame payload over 125 bytes");
    }
    const size_t extended = len7 == kLength16 ? 2 : len7 == kLength64 ? 8 : 0;
    header_need_ = static_cast<uint8_t>(2 + extended + kMaskBytes);
    return;
  }
  CheckFullHeader();
}

void FrameReader::CheckFullHeader() {
  const uint8_t len7 = header_[1] & kLengthBits;
  uint64_t len = len7;
  size_t offset = 2;
  if (len7 == kLength16) {
    len = (uint64_t{header_[2]} << 8) | header_[3];
    offset = 4;
  } else if (len7 == kLength64) {
    len = 0;
    for (size_t i = 0; i < 8; ++i) len = (len << 8) | header_[2 + i];
    offset = 10;
    if ((len >> 63) != 0) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  "64-bit payload length with the most significant bit set");
    }
  }
  std::memcpy(mask_, header_ + offset, kMaskBytes);
  header_len_ = 0;
  header_need_ = 1;

  if (!IsControl(opcode_)) {
    if (len > limits_.max_frame_bytes) {
      return Fail(kCloseMessageTooBig, absl::StatusCode::kResourceExhausted,
                  absl::StrCat("frame of ", len, " bytes; the limit is ",
                               limits_.max_frame_bytes));
    }
    // message_ holds the earlier fragments; a first frame starts from zero.
    const uint64_t so_far = opcode_ == Opcode::kContinuation ? message_.size() : 0;
    if (so_far > limits_.max_message_bytes || len > limits_.max_message_bytes - so_far) {
      return Fail(kCloseMessageTooBig, absl::StatusCode::kResourceExhausted,
                  absl::StrCat("message of over ", limits_.max_message_bytes,
                               " bytes; that is the limit"));
    }
    if (opcode_ != Opcode::kContinuation) {
      in_message_ = true;
      message_type_ = opcode_;
      utf8_.Reset();
    }
  }
  frame_len_ = len;
  frame_read_ = 0;
  state_ = State::kPayload;
}

size_t FrameReader::ReadPayload(const char* data, char* writable, size_t len,
                                Handler& handler) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(frame_len_ - frame_read_, len));
  const bool control = IsControl(opcode_);
  const bool text = !control && message_type_ == Opcode::kText;

  // Zero copy: a whole control frame or single-frame message in a buffer we
  // may write to is unmasked where it lies and handed out from there.
  if (writable != nullptr && frame_read_ == 0 && n == frame_len_ &&
      (control || (fin_ && opcode_ != Opcode::kContinuation))) {
    Unmask(writable, writable, n, mask_, 0);
    frame_read_ = n;
    const absl::string_view payload(writable, n);
    if (text && !utf8_.Consume(payload)) {
      Fail(kCloseInvalidPayload, absl::StatusCode::kInvalidArgument,
           "text message is not valid UTF-8");
      return n;
    }
    FinishFrame(payload, handler);
    return n;
  }

  std::string& buffer = control ? control_ : message_;
  const size_t old_size = buffer.size();
  buffer.append(data, n);
  char* const fresh = &buffer[old_size];
  Unmask(fresh, fresh, n, mask_, frame_read_);
  frame_read_ += n;
  // Fail fast: check each piece of a text message as it arrives.
  if (text && !utf8_.Consume(absl::string_view(fresh, n))) {
    Fail(kCloseInvalidPayload, absl::StatusCode::kInvalidArgument,
         "text message is not valid UTF-8");
    return n;
  }
  if (frame_read_ == frame_len_) FinishFrame(buffer, handler);
  return n;
}

void FrameReader::FinishFrame(absl::string_view payload, Handler& handler) {
  state_ = State::kHeader;
  if (IsControl(opcode_)) {
    DeliverControl(payload, handler);
    control_.clear();
    return;
  }
  if (!fin_) return;
  if (message_type_ == Opcode::kText && !utf8_.complete()) {
    return Fail(kCloseInvalidPayload, absl::StatusCode::kInvalidArgument,
                "text message ends inside a UTF-8 sequence");
  }
  in_message_ = false;
  handler.OnMessage(message_type_, payload);
  if (message_.capacity() > kRetainedMessageCapacity) {
    std::string().swap(message_);
  } else {
    message_.clear();
  }
}

void FrameReader::DeliverControl(absl::string_view payload, Handler& handler) {
  switch (opcode_) {
    case Opcode::kPing:
      handler.OnPing(payload);
      return;
    case Opcode::kPong:
      handler.OnPong(payload);
      return;
    case Opcode::kClose:
      break;
    default:
      return;
  }
  uint16_t code = kCloseNoStatus;
  absl::string_view reason;
  if (payload.size() == 1) {
    return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                "close frame with a 1-byte payload");
  }
  if (payload.size() >= 2) {
    code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                 static_cast<uint8_t>(payload[1]));
    if (!IsValidReceivedCloseCode(code)) {
      return Fail(kCloseProtocolError, absl::StatusCode::kInvalidArgument,
                  absl::StrCat("invalid close code ", code));
    }
    reason = payload.substr(2);
    if (!Utf8Validator::IsValid(reason)) {
      return Fail(kCloseInvalidPayload, absl::StatusCode::kInvalidArgument,
                  "close reason is not valid UTF-8");
    }
  }
  state_ = State::kClosed;
  handler.OnClose(code, reason);
}

void FrameReader::Fail(uint16_t close_code, absl::StatusCode code, absl::string_view message) {
  state_ = State::kFailed;
  close_code_ = close_code;
  status_ = absl::Status(code, message);
  // Nothing more will be parsed: give the buffers back now.
  std::string().swap(message_);
  std::string().swap(control_);
}

}  // namespace switchboard::gateway::ws
