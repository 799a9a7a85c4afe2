#ifndef SWITCHBOARD_BENCH_MICRO_SAMPLE_FRAMES_H_
#define SWITCHBOARD_BENCH_MICRO_SAMPLE_FRAMES_H_

#include <string>

#include "gateway/codec/frame_codec.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::bench {

// Typical frames of the load-test shapes, for micro-benchmarks: a 64-byte
// payload, binary with protobuf and text with JSON (what each kind of app
// sends; JSON would carry binary as base64). Pure functions.
inline constexpr int kSamplePayloadBytes = 64;
inline constexpr char kSampleRoom[] = "bench-123456-42";

// A client's Publish to kSampleRoom with a message id.
client::v1::ClientFrame SamplePublish(gateway::FrameFormat format);
// A room Message as members receive it (room, offset, id, sender, time).
client::v1::ServerFrame SampleMessage(gateway::FrameFormat format);
// `frame` as a client puts it in a WebSocket message (serialized protobuf, or
// the protobuf JSON mapping).
std::string ClientWire(const client::v1::ClientFrame& frame, gateway::FrameFormat format);

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_MICRO_SAMPLE_FRAMES_H_
