#include "tests/gateway/ws/client_frame.h"

namespace switchboard::gateway::ws {
namespace {

void AppendMasked(std::string& out, absl::string_view payload, uint32_t key) {
  const uint8_t k[4] = {static_cast<uint8_t>(key >> 24), static_cast<uint8_t>(key >> 16),
                        static_cast<uint8_t>(key >> 8), static_cast<uint8_t>(key)};
  out.append(reinterpret_cast<const char*>(k), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ k[i % 4]));
  }
}

}  // namespace

uint8_t FirstByte(Opcode op, bool fin, uint8_t extra) {
  return static_cast<uint8_t>((fin ? kFin : 0) | extra | static_cast<uint8_t>(op));
}

std::string ClientFrame(uint8_t first_byte, absl::string_view payload,
                        const ClientFrameOptions& options) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  const uint8_t mask_bit = options.masked ? 0x80 : 0;
  const uint64_t len = payload.size();
  LengthForm form = options.length;
  if (form == LengthForm::kMinimal) {
    form = len <= 125 ? LengthForm::kMinimal : len <= 0xFFFF ? LengthForm::k16 : LengthForm::k64;
  }
  switch (form) {
    case LengthForm::kMinimal:
      out.push_back(static_cast<char>(mask_bit | len));
      break;
    case LengthForm::k16:
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len));
      break;
    case LengthForm::k64:
      out.push_back(static_cast<char>(mask_bit | 127));
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(len >> (8 * i)));
      break;
  }
  if (options.masked) {
    AppendMasked(out, payload, options.key);
  } else {
    out.append(payload.data(), payload.size());
  }
  return out;
}

std::string Text(absl::string_view payload, bool fin) {
  return ClientFrame(FirstByte(Opcode::kText, fin), payload);
}
std::string Binary(absl::string_view payload, bool fin) {
  return ClientFrame(FirstByte(Opcode::kBinary, fin), payload);
}
std::string Continuation(absl::string_view payload, bool fin) {
  return ClientFrame(FirstByte(Opcode::kContinuation, fin), payload);
}
std::string Ping(absl::string_view payload) {
  return ClientFrame(FirstByte(Opcode::kPing), payload);
}
std::string Pong(absl::string_view payload) {
  return ClientFrame(FirstByte(Opcode::kPong), payload);
}
std::string Close(uint16_t code, absl::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code));
  payload.append(reason.data(), reason.size());
  return ClientFrame(FirstByte(Opcode::kClose), payload);
}

std::string MaskServerFrame(absl::string_view frame, uint32_t key) {
  const uint8_t len7 = static_cast<uint8_t>(frame[1]) & 0x7F;
  const size_t header_len = len7 == 127 ? 10 : len7 == 126 ? 4 : 2;
  std::string out(frame.substr(0, header_len));
  out[1] = static_cast<char>(out[1] | 0x80);
  AppendMasked(out, frame.substr(header_len), key);
  return out;
}

}  // namespace switchboard::gateway::ws
