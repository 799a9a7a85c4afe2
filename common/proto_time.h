#ifndef SWITCHBOARD_COMMON_PROTO_TIME_H_
#define SWITCHBOARD_COMMON_PROTO_TIME_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace switchboard {

// Conversions between Abseil time and protobuf's well-known types.
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
void ToProto(absl::Duration d, google::protobuf::Duration* out);
absl::Time FromProto(const google::protobuf::Timestamp& ts);
absl::Duration FromProto(const google::protobuf::Duration& d);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_PROTO_TIME_H_
