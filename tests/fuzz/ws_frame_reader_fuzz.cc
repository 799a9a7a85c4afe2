// libFuzzer target for the WebSocket frame reader (gateway/ws/frame_reader.h):
// the bytes a client sends after the upgrade. CheckFrameReaderOnInput parses
// the input whole, in place and in random chunks, and returns an error on any
// disagreement or broken promise; that is a bug, so it aborts here for
// libFuzzer to keep the input. Input layout: see frame_reader_fuzz.h.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "gateway/ws/frame_reader_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Status status = switchboard::gateway::ws::CheckFrameReaderOnInput(data, size);
  if (!status.ok()) {
    std::fprintf(stderr, "FrameReader check failed: %s\n", status.ToString().c_str());
    std::abort();
  }
  return 0;
}
