// The gateway's own RFC 6455 framing (gateway/ws): encoding server frames and
// parsing the masked frames clients send, in both formats (binary frames for
// protobuf, UTF-8-validated text frames for JSON).
#include <cstdint>
#include <string>
#include <vector>

#include "bench/micro/sample_frames.h"
#include "bench/ws_frame_codec.h"
#include "benchmark/benchmark.h"
#include "gateway/ws/frame_encoder.h"
#include "gateway/ws/frame_reader.h"

namespace switchboard::bench {
namespace {

using gateway::FrameFormat;
namespace ws = gateway::ws;

// Frames in one read buffer: a busy client's read delivers several at once.
constexpr int kFramesPerRead = 64;

void BM_WsEncodeFrame(benchmark::State& state) {
  const std::string payload(state.range(0), 'x');
  for (auto _ : state) {
    std::string frame = ws::EncodeFrame(ws::Opcode::kBinary, payload);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(state.iterations() * payload.size());
}
BENCHMARK(BM_WsEncodeFrame)->Arg(64)->Arg(1024)->Arg(16384);

void BM_WsEncodeHeader(benchmark::State& state) {
  uint8_t header[ws::kMaxServerHeaderBytes];
  uint64_t len = 100;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ws::EncodeHeader(ws::Opcode::kBinary, len, header));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_WsEncodeHeader);

class CountingHandler final : public ws::FrameReader::Handler {
 public:
  void OnMessage(ws::Opcode, absl::string_view payload) override {
    ++messages;
    bytes += payload.size();
  }
  void OnPing(absl::string_view) override {}
  void OnPong(absl::string_view) override {}
  void OnClose(uint16_t, absl::string_view) override {}
  uint64_t messages = 0;
  uint64_t bytes = 0;
};

// kFramesPerRead masked client frames, each one Publish in `format`.
std::string ClientFrames(FrameFormat format) {
  const std::string body = ClientWire(SamplePublish(format), format);
  const uint8_t opcode =
      format == FrameFormat::kProtobuf ? WsFrameCodec::kBinary : WsFrameCodec::kText;
  std::string out;
  for (int i = 0; i < kFramesPerRead; ++i) {
    WsFrameCodec::AppendClientFrame(opcode, body, 0x9E3779B9u * (i + 1), &out);
  }
  return out;
}

FrameFormat FormatArg(const benchmark::State& state) {
  return state.range(0) == 0 ? FrameFormat::kProtobuf : FrameFormat::kJson;
}

// Consume(): payloads are unmasked into the reader's own buffer.
void BM_FrameReaderConsume(benchmark::State& state) {
  const std::string input = ClientFrames(FormatArg(state));
  ws::FrameReader reader(ws::FrameReader::Limits{});
  CountingHandler handler;
  for (auto _ : state) {
    absl::Status status = reader.Consume(input.data(), input.size(), handler);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
  }
  state.SetItemsProcessed(handler.messages);
  state.SetBytesProcessed(state.iterations() * input.size());
  state.SetLabel(FormatArg(state) == FrameFormat::kProtobuf ? "proto/binary" : "json/text");
}
BENCHMARK(BM_FrameReaderConsume)->Arg(0)->Arg(1);

// ConsumeInPlace(): what the gateway calls on its read buffer; unmasks in
// place and hands out views. The input is copied back in each iteration
// (a memcpy of ~7 KB, included in the time) because parsing overwrites it.
void BM_FrameReaderConsumeInPlace(benchmark::State& state) {
  const std::string input = ClientFrames(FormatArg(state));
  std::vector<char> buffer(input.size());
  ws::FrameReader reader(ws::FrameReader::Limits{});
  CountingHandler handler;
  for (auto _ : state) {
    std::copy(input.begin(), input.end(), buffer.begin());
    absl::Status status = reader.ConsumeInPlace(buffer.data(), buffer.size(), handler);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
  }
  state.SetItemsProcessed(handler.messages);
  state.SetBytesProcessed(state.iterations() * input.size());
  state.SetLabel(FormatArg(state) == FrameFormat::kProtobuf ? "proto/binary" : "json/text");
}
BENCHMARK(BM_FrameReaderConsumeInPlace)->Arg(0)->Arg(1);

}  // namespace
}  // namespace switchboard::bench
