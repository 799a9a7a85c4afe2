#ifndef SWITCHBOARD_GATEWAY_WS_PROTOCOL_H_
#define SWITCHBOARD_GATEWAY_WS_PROTOCOL_H_

// RFC 6455 constants shared by the frame reader and the frame encoder.

#include <cstddef>
#include <cstdint>

namespace switchboard::gateway::ws {

// The opcodes of RFC 6455 §5.2. 0x3-0x7 and 0xB-0xF are reserved: a reader
// refuses them and the encoder never produces them.
enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close, ping and pong are control frames: never fragmented, small payloads.
constexpr bool IsControl(Opcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

// Largest payload of a control frame (RFC 6455 §5.5).
inline constexpr size_t kMaxControlPayloadBytes = 125;

// Close status codes (RFC 6455 §7.4.1) that the gateway sends or reports.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseUnsupportedData = 1003;
// Never on the wire: stands for "the Close frame carried no status code".
inline constexpr uint16_t kCloseNoStatus = 1005;
// Never on the wire: the connection dropped without a Close frame.
inline constexpr uint16_t kCloseAbnormal = 1006;
inline constexpr uint16_t kCloseInvalidPayload = 1007;
inline constexpr uint16_t kClosePolicyViolation = 1008;
inline constexpr uint16_t kCloseMessageTooBig = 1009;
inline constexpr uint16_t kCloseInternalError = 1011;
// Never on the wire: the TLS handshake failed.
inline constexpr uint16_t kCloseTlsHandshake = 1015;

// Whether a status code a client put in its Close frame is acceptable.
//
// Accepted: 1000-1003 and 1007-1014 (defined by RFC 6455 and registered with
// IANA since: 1010 is client-only, 1011 was later opened to both sides, and
// 1012 service restart, 1013 try again later and 1014 bad gateway are
// registered for either side, so a proxy in front of a client may send them),
// and 3000-4999 (libraries, frameworks and applications).
// Refused, answered with 1002: 0-999 (unused), 1004 (reserved), 1005, 1006
// and 1015 (must never be sent, §7.4.1), 1016-2999 (reserved for the protocol,
// unassigned) and 5000+.
constexpr bool IsValidReceivedCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace switchboard::gateway::ws

#endif  // SWITCHBOARD_GATEWAY_WS_PROTOCOL_H_
