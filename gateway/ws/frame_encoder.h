#ifndef SWITCHBOARD_GATEWAY_WS_FRAME_ENCODER_H_
#define SWITCHBOARD_GATEWAY_WS_FRAME_ENCODER_H_

// Builds the frames a WebSocket server sends (RFC 6455 §5.2): unmasked, never
// fragmented (FIN always set), no extension (RSV bits clear). Pure functions,
// safe from any thread.
//
// A broadcast is encoded once and the same bytes go to every recipient: either
// EncodeFrame() into one shared string, or EncodeHeader() into a small buffer
// gathered in front of a shared payload, so the payload is never copied.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "gateway/ws/protocol.h"

namespace switchboard::gateway::ws {

// Longest header of a server frame: 2 bytes + 8 of extended length, no mask.
inline constexpr size_t kMaxServerHeaderBytes = 10;

// Writes the header of a final, unmasked frame with opcode `op` and
// `payload_len` payload bytes into `out`, with the shortest length encoding;
// returns the number of bytes written (2, 4 or 10).
// Preconditions: `op` is kText, kBinary, kClose, kPing or kPong; a control
// frame's `payload_len` is at most kMaxControlPayloadBytes (checked only in
// debug builds: the peer would close the connection with 1002).
size_t EncodeHeader(Opcode op, uint64_t payload_len, uint8_t out[kMaxServerHeaderBytes]);

// A complete frame: header then `payload`. `op` is kText, kBinary, kClose,
// kPing or kPong. A control frame's payload is cut to kMaxControlPayloadBytes
// so the frame stays valid; pongs echo pings, which a FrameReader never lets
// through above that size. Text payloads are sent as given: the caller
// vouches for their UTF-8.
std::string EncodeFrame(Opcode op, absl::string_view payload);

// A Close frame with status `code` and `reason`. The reason is cut to fit
// the 125-byte control payload (123 bytes after the code) and, if it is not
// valid UTF-8, to its longest valid prefix, so the frame is always valid.
// kCloseNoStatus, kCloseAbnormal and kCloseTlsHandshake must never appear on
// the wire: for those the Close frame has an empty payload (and no reason),
// which is how to echo a client's Close that carried no code.
std::string EncodeCloseFrame(uint16_t code, absl::string_view reason);

}  // namespace switchboard::gateway::ws

#endif  // SWITCHBOARD_GATEWAY_WS_FRAME_ENCODER_H_
