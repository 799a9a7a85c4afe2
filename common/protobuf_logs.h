#ifndef SWITCHBOARD_COMMON_PROTOBUF_LOGS_H_
#define SWITCHBOARD_COMMON_PROTOBUF_LOGS_H_

#include <cstdint>

#include "absl/time/time.h"

namespace switchboard {

// Sends libprotobuf's own log lines (it writes them to stderr by itself)
// through the project's logger, at most `lines_per_window` per `window`; the
// rest are counted and reported with the next line let through. Untrusted
// input reaches protobuf on every decode (a string field with invalid UTF-8
// logs an ERROR per frame), so without this one socket could write thousands
// of lines a second. Its ERROR lines become warnings: they describe input,
// not a fault of the process. Call once from main(); thread-safe after.
void RouteProtobufLogs(int lines_per_window = 5, absl::Duration window = absl::Seconds(10));

// Protobuf lines dropped by the rate limit since the process started.
uint64_t SuppressedProtobufLogLines();

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_PROTOBUF_LOGS_H_
