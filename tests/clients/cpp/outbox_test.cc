#include "clients/cpp/outbox.h"

#include <chrono>
#include <vector>

#include "absl/strings/match.h"
#include "boost/asio/io_context.hpp"
#include "clients/cpp/server_status.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::PublishAck;
using ::switchboard::client::v1::ServerFrame;

v1::Publish MakePublish(std::string message_id) {
  v1::Publish publish;
  publish.set_room("room");
  publish.set_message_id(std::move(message_id));
  return publish;
}

ServerFrame Ack(uint64_t id, uint64_t offset) {
  ServerFrame frame;
  frame.set_id(id);
  frame.mutable_publish_ack()->set_offset(offset);
  return frame;
}

class OutboxTest : public ::testing::Test {
 protected:
  std::function<uint64_t()> Ids() {
    return [this] { return next_id_++; };
  }
  Outbox::Callback Record() {
    return [this](absl::StatusOr<PublishAck> result) {
      results_.push_back(std::move(result));
    };
  }

  // Moves the outbox's clock on.
  void Advance(absl::Duration d) { now_ += absl::ToChronoNanoseconds(d); }

  boost::asio::io_context io_context_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
  Outbox outbox_{io_context_, [this] { return now_; }};
  uint64_t next_id_ = 100;
  std::vector<absl::StatusOr<PublishAck>> results_;
};

TEST_F(OutboxTest, SendsInOrderAndResolvesByFrameId) {
  outbox_.Add(MakePublish("a"), absl::Seconds(10), Record());
  outbox_.Add(MakePublish("b"), absl::Seconds(10), Record());
  std::vector<ClientFrame> frames = outbox_.TakeUnsent(Ids());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].id(), 100u);
  EXPECT_EQ(frames[0].publish().message_id(), "a");
  EXPECT_EQ(frames[1].publish().message_id(), "b");
  EXPECT_TRUE(outbox_.TakeUnsent(Ids()).empty());  // already in flight

  EXPECT_TRUE(outbox_.Resolve(101, Ack(101, 7)));
  EXPECT_FALSE(outbox_.Resolve(101, Ack(101, 7)));
  ServerFrame error;
  error.set_id(100);
  error.mutable_error()->set_code(v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_TRUE(outbox_.Resolve(100, error));
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[0]->offset(), 7u);
  EXPECT_EQ(results_[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorCodeOf(results_[1].status()),
            v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(outbox_.size(), 0u);
}

TEST_F(OutboxTest, RequeuedPublishesKeepTheirMessageId) {
  outbox_.Add(MakePublish("a"), absl::Seconds(10), Record());
  std::vector<ClientFrame> first = outbox_.TakeUnsent(Ids());
  outbox_.RequeueInFlight();
  EXPECT_FALSE(outbox_.Resolve(first[0].id(), Ack(first[0].id(), 1)));
  EXPECT_EQ(outbox_.unsent(), 1u);
  std::vector<ClientFrame> second = outbox_.TakeUnsent(Ids());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].id(), first[0].id());
  EXPECT_EQ(second[0].publish().message_id(), "a");
  EXPECT_TRUE(outbox_.Resolve(second[0].id(), Ack(second[0].id(), 1)));
}

TEST_F(OutboxTest, FailsAfterItsDeadlineWhereverItIs) {
  outbox_.Add(MakePublish("sent"), absl::Milliseconds(10), Record());
  outbox_.TakeUnsent(Ids());
  outbox_.Add(MakePublish("waiting"), absl::Milliseconds(20), Record());
  io_context_.run_for(std::chrono::seconds(5));
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[0].status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(results_[1].status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(outbox_.size(), 0u);
}

TEST_F(OutboxTest, FailAllAndUnexpectedReplies) {
  outbox_.Add(MakePublish("a"), absl::Seconds(10), Record());
  outbox_.Add(MakePublish("b"), absl::Seconds(10), Record());
  std::vector<ClientFrame> frames = outbox_.TakeUnsent(Ids());
  ServerFrame pong;
  pong.set_id(frames[0].id());
  pong.mutable_pong();
  EXPECT_TRUE(outbox_.Resolve(frames[0].id(), pong));
  EXPECT_TRUE(outbox_.Fail(frames[1].id(), absl::ResourceExhaustedError("x")));
  outbox_.Add(MakePublish("c"), absl::Seconds(10), Record());
  outbox_.FailAll(absl::CancelledError("closed"));
  ASSERT_EQ(results_.size(), 3u);
  EXPECT_EQ(results_[0].status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(results_[1].status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(results_[2].status().code(), absl::StatusCode::kCancelled);
  io_context_.run();  // cancelled timers complete without effect
  EXPECT_EQ(results_.size(), 3u);
}

TEST(ResendLimitTest, IsTheWindowLessATenthAtMostTenSeconds) {
  EXPECT_EQ(ResendLimit(absl::Minutes(2)), absl::Seconds(110));
  EXPECT_EQ(ResendLimit(absl::Seconds(50)), absl::Seconds(45));
  EXPECT_EQ(ResendLimit(absl::Milliseconds(600)), absl::Milliseconds(540));
}

TEST_F(OutboxTest, ResendsUnderTheSameIdWithinTheLimitFromTheFirstSend) {
  outbox_.Add(MakePublish("a"), absl::Hours(1), Record());
  ASSERT_EQ(outbox_.TakeUnsent(Ids()).size(), 1u);
  outbox_.RequeueInFlight();
  Advance(absl::Seconds(60));
  EXPECT_TRUE(outbox_.GiveUpTooOld(absl::Seconds(100)).empty());
  ASSERT_EQ(outbox_.TakeUnsent(Ids()).size(), 1u);  // resent at 60 s
  outbox_.RequeueInFlight();
  // 101 s after the first send (41 s after the resend): the first send counts.
  Advance(absl::Seconds(41));
  std::vector<FateUnknown> given_up = outbox_.GiveUpTooOld(absl::Seconds(100));
  ASSERT_EQ(given_up.size(), 1u);
  EXPECT_TRUE(outbox_.TakeUnsent(Ids()).empty());
  EXPECT_EQ(outbox_.size(), 0u);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].status(), given_up[0].status);
  EXPECT_TRUE(IsFateUnknown(results_[0].status())) << results_[0].status();
}

TEST_F(OutboxTest, GivesUpOnlyPublishesWaitingForAResend) {
  const absl::Time before = absl::Now();
  v1::Publish old = MakePublish("old");
  old.mutable_payload()->set_text("maybe stored");
  outbox_.Add(old, absl::Hours(1), Record());
  ASSERT_EQ(outbox_.TakeUnsent(Ids()).size(), 1u);
  const absl::Time after = absl::Now();
  outbox_.RequeueInFlight();  // dropped before the ack
  outbox_.Add(MakePublish("never-sent"), absl::Hours(1), Record());
  Advance(absl::Minutes(5));

  std::vector<FateUnknown> given_up = outbox_.GiveUpTooOld(absl::Seconds(1));
  ASSERT_EQ(given_up.size(), 1u);
  EXPECT_EQ(given_up[0].room, "room");
  EXPECT_EQ(given_up[0].message_id, "old");
  EXPECT_EQ(given_up[0].payload.text(), "maybe stored");
  EXPECT_GE(given_up[0].first_sent, before);
  EXPECT_LE(given_up[0].first_sent, after);
  EXPECT_EQ(given_up[0].status.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(absl::StartsWith(given_up[0].status.message(),
                               "fate unknown: publish old to room"))
      << given_up[0].status;
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(IsFateUnknown(results_[0].status()));

  // Never sent: it goes now, and its clock starts now.
  std::vector<ClientFrame> frames = outbox_.TakeUnsent(Ids());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].publish().message_id(), "never-sent");
  // In flight on the current connection: still waiting for its ack.
  Advance(absl::Minutes(5));
  EXPECT_TRUE(outbox_.GiveUpTooOld(absl::Seconds(1)).empty());
  EXPECT_TRUE(outbox_.Resolve(frames[0].id(), Ack(frames[0].id(), 4)));
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[1]->offset(), 4u);
}

TEST_F(OutboxTest, AFateUnknownCallbackMayPublishAgainUnderANewId) {
  outbox_.Add(MakePublish("old"), absl::Hours(1),
              [this](absl::StatusOr<PublishAck> result) {
                results_.push_back(result);
                outbox_.Add(MakePublish("new"), absl::Hours(1), Record());
              });
  outbox_.TakeUnsent(Ids());
  outbox_.RequeueInFlight();
  Advance(absl::Seconds(2));
  EXPECT_EQ(outbox_.GiveUpTooOld(absl::Seconds(1)).size(), 1u);
  std::vector<ClientFrame> frames = outbox_.TakeUnsent(Ids());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].publish().message_id(), "new");
}

}  // namespace
}  // namespace client
}  // namespace switchboard
