#include "clients/cpp/request_tracker.h"

#include <vector>

#include "boost/asio/io_context.hpp"
#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::ServerFrame;

ServerFrame Pong(uint64_t id) {
  ServerFrame frame;
  frame.set_id(id);
  frame.mutable_pong();
  return frame;
}

TEST(RequestTrackerTest, ResolvesByIdExactlyOnce) {
  boost::asio::io_context io_context;
  RequestTracker tracker(io_context);
  std::vector<absl::StatusOr<ServerFrame>> results;
  tracker.Add(1, absl::Seconds(10),
              [&](absl::StatusOr<ServerFrame> r) { results.push_back(r); });
  EXPECT_FALSE(tracker.Resolve(2, Pong(2)));
  EXPECT_TRUE(tracker.Resolve(1, Pong(1)));
  EXPECT_FALSE(tracker.Resolve(1, Pong(1)));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0]->has_pong());
  EXPECT_EQ(tracker.size(), 0u);
  io_context.run();  // the cancelled timer completes without effect
  EXPECT_EQ(results.size(), 1u);
}

TEST(RequestTrackerTest, TimesOut) {
  boost::asio::io_context io_context;
  RequestTracker tracker(io_context);
  std::optional<absl::StatusOr<ServerFrame>> result;
  tracker.Add(1, absl::Milliseconds(20),
              [&](absl::StatusOr<ServerFrame> r) { result = r; });
  io_context.run_for(std::chrono::seconds(5));  // returns once idle
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(tracker.Resolve(1, Pong(1)));  // a late reply is ignored
}

TEST(RequestTrackerTest, FailAllCompletesEveryRequestAndAllowsNewOnes) {
  boost::asio::io_context io_context;
  RequestTracker tracker(io_context);
  std::vector<uint64_t> failed;
  for (uint64_t id : {3, 1, 2}) {
    tracker.Add(id, absl::Seconds(10), [&, id](absl::StatusOr<ServerFrame> r) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
      failed.push_back(id);
      if (id == 1) {
        // A callback may add a new request; it survives this FailAll.
        tracker.Add(9, absl::Seconds(10), [](absl::StatusOr<ServerFrame>) {});
      }
    });
  }
  tracker.FailAll(absl::UnavailableError("connection lost"));
  EXPECT_EQ(failed, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(tracker.size(), 1u);
}

}  // namespace
}  // namespace client
}  // namespace switchboard
