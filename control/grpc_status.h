#ifndef SWITCHBOARD_CONTROL_GRPC_STATUS_H_
#define SWITCHBOARD_CONTROL_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace switchboard::control {

// The one adapter from absl::Status to grpc::Status. The codes are the same
// numbers on both sides (absl's were modelled on gRPC's), so the mapping is one
// to one; the message is kept as is up to kMaxGrpcMessageBytes, and cut there
// (with a note) beyond. Any thread.
inline constexpr size_t kMaxGrpcMessageBytes = 1024;
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for tools and tests that hand gRPC results to absl-based code.
absl::Status FromGrpcStatus(const grpc::Status& status);

// "OK", "INVALID_ARGUMENT", ...: the code's name as gRPC documents it (metric
// labels, CLI output).
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_GRPC_STATUS_H_
