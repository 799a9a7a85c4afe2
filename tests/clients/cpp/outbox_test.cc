#include "clients/cpp/outbox.h"

#include <vector>

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

  boost::asio::io_context io_context_;
  Outbox outbox_{io_context_};
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

}  // namespace
}  // namespace client
}  // namespace switchboard
