// Client-protocol frame codec (gateway/codec): what each received frame and
// each room message costs to decode and encode, in both wire formats.
#include <string>

#include "benchmark/benchmark.h"
#include "bench/micro/sample_frames.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/codec/shared_frame.h"

namespace switchboard::bench {
namespace {

using gateway::FrameFormat;

FrameFormat FormatArg(const benchmark::State& state) {
  return state.range(0) == 0 ? FrameFormat::kProtobuf : FrameFormat::kJson;
}

void SetFormatLabel(benchmark::State& state) {
  state.SetLabel(FormatArg(state) == FrameFormat::kProtobuf ? "proto" : "json");
}

// A client's Publish of a 64-byte payload (binary for proto, JSON text for
// JSON: what each format's clients actually send).
void BM_DecodeClientPublish(benchmark::State& state) {
  const FrameFormat format = FormatArg(state);
  const std::string wire = ClientWire(SamplePublish(format), format);
  client::v1::ClientFrame frame;
  for (auto _ : state) {
    absl::Status status = gateway::DecodeClientFrame(wire, format, &frame);
    benchmark::DoNotOptimize(status);
  }
  state.SetBytesProcessed(state.iterations() * wire.size());
  SetFormatLabel(state);
}
BENCHMARK(BM_DecodeClientPublish)->Arg(0)->Arg(1);

// A room message as the hub encodes it for delivery: the payload only.
void BM_EncodeServerMessage(benchmark::State& state) {
  const FrameFormat format = FormatArg(state);
  const client::v1::ServerFrame frame = SampleMessage(format);
  for (auto _ : state) {
    std::string wire = gateway::EncodeServerFrame(frame, format);
    benchmark::DoNotOptimize(wire);
  }
  SetFormatLabel(state);
}
BENCHMARK(BM_EncodeServerMessage)->Arg(0)->Arg(1);

// The same, plus the WebSocket header and the shared allocation: the whole
// per-message cost of building the frame every recipient then shares.
void BM_EncodeSharedFrame(benchmark::State& state) {
  const FrameFormat format = FormatArg(state);
  const client::v1::ServerFrame frame = SampleMessage(format);
  for (auto _ : state) {
    gateway::SharedFrame shared = gateway::EncodeSharedFrame(frame, format);
    benchmark::DoNotOptimize(shared);
  }
  SetFormatLabel(state);
}
BENCHMARK(BM_EncodeSharedFrame)->Arg(0)->Arg(1);

}  // namespace
}  // namespace switchboard::bench
