#include "control/grpc_status.h"

#include "gtest/gtest.h"

namespace switchboard::control {
namespace {

TEST(GrpcStatusTest, MapsEveryCodeOneToOneAndKeepsTheMessage) {
  const std::pair<absl::Status, grpc::StatusCode> cases[] = {
      {absl::InvalidArgumentError("bad room"), grpc::StatusCode::INVALID_ARGUMENT},
      {absl::NotFoundError("no such connection"), grpc::StatusCode::NOT_FOUND},
      {absl::UnavailableError("nats down"), grpc::StatusCode::UNAVAILABLE},
      {absl::DeadlineExceededError("slow"), grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::UnauthenticatedError("no key"), grpc::StatusCode::UNAUTHENTICATED},
      {absl::PermissionDeniedError("no"), grpc::StatusCode::PERMISSION_DENIED},
      {absl::ResourceExhaustedError("busy"), grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::FailedPreconditionError("stream"), grpc::StatusCode::FAILED_PRECONDITION},
      {absl::AbortedError("gap"), grpc::StatusCode::ABORTED},
      {absl::InternalError("bug"), grpc::StatusCode::INTERNAL},
      {absl::DataLossError("corrupt"), grpc::StatusCode::DATA_LOSS},
      {absl::CancelledError("bye"), grpc::StatusCode::CANCELLED},
  };
  for (const auto& [status, code] : cases) {
    grpc::Status g = ToGrpcStatus(status);
    EXPECT_EQ(g.error_code(), code) << status;
    EXPECT_EQ(g.error_message(), std::string(status.message()));
    EXPECT_EQ(FromGrpcStatus(g), status);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(GrpcStatusTest, UnknownCodesBecomeUnknown) {
  absl::Status odd(static_cast<absl::StatusCode>(42), "from the future");
  EXPECT_EQ(ToGrpcStatus(odd).error_code(), grpc::StatusCode::UNKNOWN);
}

TEST(GrpcStatusTest, LongMessagesAreCut) {
  const std::string ten_kb(10240, 'r');
  grpc::Status g = ToGrpcStatus(absl::InvalidArgumentError(ten_kb));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(g.error_message().size(), kMaxGrpcMessageBytes + 64);
  EXPECT_NE(g.error_message().find("(cut at 1024 of 10240 bytes)"), std::string::npos);
  const std::string exact(kMaxGrpcMessageBytes, 'x');
  EXPECT_EQ(ToGrpcStatus(absl::InternalError(exact)).error_message(), exact);
}

TEST(GrpcStatusTest, CodeNames) {
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

}  // namespace
}  // namespace switchboard::control
