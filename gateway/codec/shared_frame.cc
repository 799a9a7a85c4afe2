#include "gateway/codec/shared_frame.h"

#include "gateway/ws/frame_encoder.h"

namespace switchboard::gateway {

SharedFrame EncodeSharedFrame(const switchboard::client::v1::ServerFrame& frame,
                              FrameFormat format) {
  const std::string payload = EncodeServerFrame(frame, format);
  return std::make_shared<const std::string>(ws::EncodeFrame(
      format == FrameFormat::kProtobuf ? ws::Opcode::kBinary : ws::Opcode::kText, payload));
}

}  // namespace switchboard::gateway
