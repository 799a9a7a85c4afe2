#ifndef SWITCHBOARD_GATEWAY_CODEC_SHARED_FRAME_H_
#define SWITCHBOARD_GATEWAY_CODEC_SHARED_FRAME_H_

#include <memory>
#include <string>

#include "gateway/codec/frame_codec.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::gateway {

// A complete WebSocket frame (header + payload) as it goes on the wire.
// Server frames are unmasked, so one encoding serves every recipient: it is
// built once and shared by all the send queues it is in.
using SharedFrame = std::shared_ptr<const std::string>;

// Encodes `frame` in `format` and wraps it in a WebSocket data frame (binary
// for protobuf, text for JSON).
SharedFrame EncodeSharedFrame(const switchboard::client::v1::ServerFrame& frame,
                              FrameFormat format);

// The same message in both formats; an entry is null when no recipient needs it.
struct EncodedFrames {
  SharedFrame by_format[2];
  const SharedFrame& get(FrameFormat format) const {
    return by_format[static_cast<int>(format)];
  }
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_CODEC_SHARED_FRAME_H_
