#ifndef SWITCHBOARD_GATEWAY_WS_FRAME_READER_FUZZ_H_
#define SWITCHBOARD_GATEWAY_WS_FRAME_READER_FUZZ_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace switchboard::gateway::ws {

// Fuzz body for FrameReader, for a libFuzzer target (whose
// LLVMFuzzerTestOneInput aborts when this returns an error) and for tests.
//
// Byte 0 of `data` picks the reader's limits, bytes 1-4 seed how the rest is
// split. The rest is parsed three ways: whole through Consume(), whole
// through ConsumeInPlace(), and in pseudo-random chunks alternating between
// the two. All three must report the same events and the same error, and
// every event must keep the reader's promises (text is UTF-8, sizes within
// the limits, close codes valid, nothing after Close). Returns
// InternalError naming the first discrepancy. Safe from any thread.
absl::Status CheckFrameReaderOnInput(const uint8_t* data, size_t size);

}  // namespace switchboard::gateway::ws

#endif  // SWITCHBOARD_GATEWAY_WS_FRAME_READER_FUZZ_H_
