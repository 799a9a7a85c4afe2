#include "clients/cpp/server_status.h"

#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

v1::Error MakeError(v1::ErrorCode code, std::string message = "") {
  v1::Error error;
  error.set_code(code);
  error.set_message(std::move(message));
  return error;
}

TEST(ServerStatusTest, ErrorCodesMapToStatusCodes) {
  const std::pair<v1::ErrorCode, absl::StatusCode> cases[] = {
      {v1::ERROR_CODE_BAD_REQUEST, absl::StatusCode::kInvalidArgument},
      {v1::ERROR_CODE_INVALID_ROOM, absl::StatusCode::kInvalidArgument},
      {v1::ERROR_CODE_NOT_CONNECTED, absl::StatusCode::kFailedPrecondition},
      {v1::ERROR_CODE_UNAUTHENTICATED, absl::StatusCode::kUnauthenticated},
      {v1::ERROR_CODE_PERMISSION_DENIED, absl::StatusCode::kPermissionDenied},
      {v1::ERROR_CODE_NOT_JOINED, absl::StatusCode::kFailedPrecondition},
      {v1::ERROR_CODE_ALREADY_JOINED, absl::StatusCode::kAlreadyExists},
      {v1::ERROR_CODE_TOO_MANY_ROOMS, absl::StatusCode::kResourceExhausted},
      {v1::ERROR_CODE_RATE_LIMITED, absl::StatusCode::kResourceExhausted},
      {v1::ERROR_CODE_PAYLOAD_TOO_LARGE, absl::StatusCode::kInvalidArgument},
      {v1::ERROR_CODE_UNAVAILABLE, absl::StatusCode::kUnavailable},
      {v1::ERROR_CODE_UNSUPPORTED, absl::StatusCode::kUnimplemented},
      {v1::ERROR_CODE_INTERNAL, absl::StatusCode::kInternal},
      {v1::ERROR_CODE_UNSPECIFIED, absl::StatusCode::kUnknown},
  };
  for (const auto& [error_code, status_code] : cases) {
    absl::Status status = ServerErrorToStatus(MakeError(error_code, "why"));
    EXPECT_EQ(status.code(), status_code) << v1::ErrorCode_Name(error_code);
    EXPECT_EQ(status.message(), "why");
    EXPECT_EQ(ErrorCodeOf(status), error_code);
  }
}

TEST(ServerStatusTest, KeepsTheWholeErrorFrame) {
  v1::Error error = MakeError(v1::ERROR_CODE_RATE_LIMITED, "slow down");
  error.set_room("room-1");
  error.mutable_retry_after()->set_seconds(3);
  absl::Status status = ServerErrorToStatus(error);
  std::optional<v1::Error> back = ServerErrorOf(status);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->room(), "room-1");
  EXPECT_EQ(back->retry_after().seconds(), 3);
}

TEST(ServerStatusTest, EmptyOrUnknownMessagesGetANameAndOtherStatusesNoCode) {
  EXPECT_EQ(ServerErrorToStatus(MakeError(v1::ERROR_CODE_INTERNAL)).message(),
            "ERROR_CODE_INTERNAL");
  v1::Error future;
  future.set_code(static_cast<v1::ErrorCode>(77));
  EXPECT_EQ(ServerErrorToStatus(future).code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(ErrorCodeOf(absl::UnavailableError("x")),
            v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_FALSE(ServerErrorOf(absl::InternalError("x")).has_value());
}

TEST(ServerStatusTest, CloseCodesMapToStatusesAndReconnectPolicy) {
  EXPECT_EQ(CloseToStatus(4001, "bad token").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CloseToStatus(4002, "").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CloseToStatus(4006, "").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CloseToStatus(1002, "").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CloseToStatus(4009, "").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(CloseToStatus(kCloseCodeAbnormal, "").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_NE(CloseToStatus(4005, "queue full").message().find("queue full"),
            absl::string_view::npos);

  for (uint16_t code :
       {1000, 1002, 1003, 1007, 1008, 1009, 4001, 4002, 4006, 4008, 4011}) {
    EXPECT_FALSE(ShouldReconnectAfterClose(code)) << code;
  }
  for (uint16_t code :
       {1001, 1006, 1011, 1012, 4003, 4004, 4005, 4007, 4009, 4010, 4999}) {
    EXPECT_TRUE(ShouldReconnectAfterClose(code)) << code;
  }
}

}  // namespace
}  // namespace client
}  // namespace switchboard
