#include "gateway/ws/frame_encoder.h"

#include <cassert>

#include "gateway/ws/utf8_validator.h"

namespace switchboard::gateway::ws {
namespace {

constexpr uint8_t kFinBit = 0x80;
constexpr size_t kCloseCodeBytes = 2;

}  // namespace

size_t EncodeHeader(Opcode op, uint64_t payload_len, uint8_t out[kMaxServerHeaderBytes]) {
  assert(op != Opcode::kContinuation);
  assert(!IsControl(op) || payload_len <= kMaxControlPayloadBytes);
  out[0] = kFinBit | static_cast<uint8_t>(op);
  if (payload_len <= 125) {
    out[1] = static_cast<uint8_t>(payload_len);
    return 2;
  }
  if (payload_len <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_len >> 8);
    out[3] = static_cast<uint8_t>(payload_len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) {
    out[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
  }
  return 10;
}

std::string EncodeFrame(Opcode op, absl::string_view payload) {
  if (IsControl(op) && payload.size() > kMaxControlPayloadBytes) {
    payload = payload.substr(0, kMaxControlPayloadBytes);
  }
  uint8_t header[kMaxServerHeaderBytes];
  const size_t header_len = EncodeHeader(op, payload.size(), header);
  std::string frame;
  frame.reserve(header_len + payload.size());
  frame.append(reinterpret_cast<const char*>(header), header_len);
  frame.append(payload.data(), payload.size());
  return frame;
}

std::string EncodeCloseFrame(uint16_t code, absl::string_view reason) {
  if (code == kCloseNoStatus || code == kCloseAbnormal || code == kCloseTlsHandshake) {
    return EncodeFrame(Opcode::kClose, absl::string_view());
  }
  const size_t reason_len =
      Utf8Validator::ValidPrefixLength(reason, kMaxControlPayloadBytes - kCloseCodeBytes);
  char payload[kMaxControlPayloadBytes];
  payload[0] = static_cast<char>(code >> 8);
  payload[1] = static_cast<char>(code & 0xFF);
  reason.copy(payload + kCloseCodeBytes, reason_len);
  return EncodeFrame(Opcode::kClose, absl::string_view(payload, kCloseCodeBytes + reason_len));
}

}  // namespace switchboard::gateway::ws
