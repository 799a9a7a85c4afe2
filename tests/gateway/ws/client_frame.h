#ifndef SWITCHBOARD_TESTS_GATEWAY_WS_CLIENT_FRAME_H_
#define SWITCHBOARD_TESTS_GATEWAY_WS_CLIENT_FRAME_H_

// Builds frames the way a WebSocket client sends them, well-formed or not,
// for the framing tests. Masking is done here independently of FrameReader.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "gateway/ws/protocol.h"

namespace switchboard::gateway::ws {

inline constexpr uint8_t kFin = 0x80;
inline constexpr uint8_t kRsv1 = 0x40;
inline constexpr uint8_t kRsv2 = 0x20;
inline constexpr uint8_t kRsv3 = 0x10;

enum class LengthForm { kMinimal, k16, k64 };

struct ClientFrameOptions {
  bool masked = true;
  LengthForm length = LengthForm::kMinimal;
  uint32_t key = 0x37fa213d;
};

// First header byte: FIN flag, `extra` bits (RSV), opcode.
uint8_t FirstByte(Opcode op, bool fin = true, uint8_t extra = 0);

// A frame whose first header byte is `first_byte`, carrying `payload`
// (masked with options.key unless !options.masked).
std::string ClientFrame(uint8_t first_byte, absl::string_view payload,
                        const ClientFrameOptions& options = {});

// Shorthands for well-formed masked frames.
std::string Text(absl::string_view payload, bool fin = true);
std::string Binary(absl::string_view payload, bool fin = true);
std::string Continuation(absl::string_view payload, bool fin = true);
std::string Ping(absl::string_view payload);
std::string Pong(absl::string_view payload);
std::string Close(uint16_t code, absl::string_view reason);

// Turns an unmasked server frame (as EncodeFrame() builds it) into the same
// frame masked with `key`, as a client would have sent it.
std::string MaskServerFrame(absl::string_view frame, uint32_t key);

}  // namespace switchboard::gateway::ws

#endif  // SWITCHBOARD_TESTS_GATEWAY_WS_CLIENT_FRAME_H_
