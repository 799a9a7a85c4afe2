#ifndef SWITCHBOARD_BENCH_WS_FRAME_CODEC_H_
#define SWITCHBOARD_BENCH_WS_FRAME_CODEC_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::bench {

// Minimal RFC 6455 client-side framing: masked frames out, unmasked frames in.
// Kept tiny on purpose (no Beast stream per connection) so 10K+ connections fit
// in one load-generator process. Not thread-safe; one codec per connection.
class WsFrameCodec {
 public:
  enum Opcode : uint8_t {
    kContinuation = 0x0,
    kText = 0x1,
    kBinary = 0x2,
    kClose = 0x8,
    kPing = 0x9,
    kPong = 0xA,
  };

  struct Message {
    uint8_t opcode = 0;
    std::string payload;
  };

  // Appends one masked, final frame carrying `payload` to `out`.
  static void AppendClientFrame(uint8_t opcode, absl::string_view payload, uint32_t mask,
                                std::string* out);

  // Buffers bytes read from the socket.
  void Feed(absl::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }

  // The next complete message (fragments reassembled; control frames returned as
  // they come), or nullopt-like false when more bytes are needed. InvalidArgument
  // on a framing error (masked server frame, oversized length).
  absl::StatusOr<bool> Next(Message* message);

 private:
  std::string buffer_;
  size_t read_pos_ = 0;
  uint8_t fragment_opcode_ = 0;
  std::string fragment_;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_WS_FRAME_CODEC_H_
