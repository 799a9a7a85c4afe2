#include "gateway/auth/auth_failure.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace switchboard::gateway::auth {
namespace {

constexpr AuthFailureReason kReasons[] = {
    AuthFailureReason::kMalformed,  AuthFailureReason::kBadSignature,
    AuthFailureReason::kExpired,    AuthFailureReason::kNotYetValid,
    AuthFailureReason::kUnknownKey, AuthFailureReason::kBadAlgorithm,
    AuthFailureReason::kBadClaims,
};

TEST(AuthFailureTest, EveryReasonRoundTripsThroughTheStatus) {
  for (AuthFailureReason reason : kReasons) {
    absl::Status status = AuthFailure(reason, "nope");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(status.message(), "nope");
    EXPECT_EQ(GetAuthFailureReason(status), reason) << AuthFailureReasonLabel(reason);
  }
}

TEST(AuthFailureTest, LabelsAreDistinctMetricLabels) {
  std::set<std::string> labels;
  for (AuthFailureReason reason : kReasons) {
    std::string label(AuthFailureReasonLabel(reason));
    EXPECT_FALSE(label.empty());
    EXPECT_EQ(label.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string::npos) << label;
    labels.insert(label);
  }
  EXPECT_EQ(labels.size(), std::size(kReasons));
  EXPECT_EQ(AuthFailureReasonLabel(AuthFailureReason::kBadSignature), "bad_signature");
}

TEST(AuthFailureTest, OtherStatusesHaveNoReason) {
  EXPECT_EQ(GetAuthFailureReason(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(GetAuthFailureReason(absl::UnauthenticatedError("plain")), std::nullopt);
  absl::Status other = AuthFailure(AuthFailureReason::kExpired, "x");
  absl::Status wrong_code(absl::StatusCode::kInternal, "x");
  other.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    wrong_code.SetPayload(url, payload);
  });
  EXPECT_EQ(GetAuthFailureReason(wrong_code), std::nullopt);
}

}  // namespace
}  // namespace switchboard::gateway::auth
