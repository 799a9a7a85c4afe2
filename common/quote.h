#ifndef SWITCHBOARD_COMMON_QUOTE_H_
#define SWITCHBOARD_COMMON_QUOTE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace switchboard {

// User input quoted for an error message or a log line: C-escaped (so it is
// printable ASCII), in double quotes, and cut after `max_bytes` of input with
// the full size noted: "abc..." (10240 bytes). Error details must stay small
// whatever a caller sent (gRPC status details go into HTTP/2 trailers, whose
// size clients limit).
std::string QuoteForError(absl::string_view input, size_t max_bytes = 64);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_QUOTE_H_
