#include "clients/cpp/client_core.h"

#include <future>
#include <memory>
#include <vector>

#include "clients/cpp/message_util.h"
#include "gtest/gtest.h"
#include "tests/clients/cpp/fake_server.h"
#include "tests/clients/cpp/io_thread.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::testing::FakeServer;
using ::switchboard::client::testing::IoThread;
using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::PublishAck;
using ::switchboard::client::v1::ServerFrame;
using ::switchboard::client::v1::Welcome;

// ClientCore on an I/O thread of the test's own; the end-to-end behaviour is
// in client_test, these cover what only the asynchronous API can reach.
class ClientCoreTest : public ::testing::Test {
 protected:
  ~ClientCoreTest() override {
    io_.Run([this] { core_.reset(); });
    io_.Stop();
  }

  void Create(ClientOptions options) {
    io_.Run([&] {
      core_ = std::make_unique<ClientCore>(io_.io_context(), options,
                                           ClientCore::Handlers{});
    });
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.port = server_.port();
    options.token = "secret";
    options.connect_timeout = absl::Seconds(3);
    options.request_timeout = absl::Seconds(3);
    return options;
  }

  FakeServer server_;
  IoThread io_;
  std::unique_ptr<ClientCore> core_;
};

TEST_F(ClientCoreTest, PublishDuringTheFirstAttemptIsSentAfterWelcome) {
  Create(Options());
  std::promise<absl::StatusOr<Welcome>> welcome;
  std::promise<absl::StatusOr<PublishAck>> ack;
  io_.Run([&] {
    core_->Connect([&](absl::StatusOr<Welcome> w) { welcome.set_value(w); });
    core_->Publish("room", TextPayload("early"), "id-1",
                   [&](absl::StatusOr<PublishAck> a) { ack.set_value(a); });
  });
  ASSERT_TRUE(welcome.get_future().get().ok());
  absl::StatusOr<PublishAck> acked = ack.get_future().get();
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->message_id(), "id-1");
}

TEST_F(ClientCoreTest, PublishDuringAFailedFirstAttemptFailsWithIt) {
  ClientOptions options = Options();
  server_.DeclineUpgrades(503);
  Create(options);
  std::promise<absl::StatusOr<Welcome>> welcome;
  std::promise<absl::StatusOr<PublishAck>> ack;
  io_.Run([&] {
    core_->Connect([&](absl::StatusOr<Welcome> w) { welcome.set_value(w); });
    core_->Publish("room", TextPayload("early"), "",
                   [&](absl::StatusOr<PublishAck> a) { ack.set_value(a); });
  });
  EXPECT_EQ(welcome.get_future().get().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ack.get_future().get().status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ClientCoreTest, CloseCancelsPendingRequests) {
  server_.SetHook([](int, const ClientFrame& frame, std::vector<ServerFrame>*) {
    return frame.has_ping();  // never answered
  });
  Create(Options());
  std::promise<absl::StatusOr<Welcome>> welcome;
  io_.Run([&] {
    core_->Connect([&](absl::StatusOr<Welcome> w) { welcome.set_value(w); });
  });
  ASSERT_TRUE(welcome.get_future().get().ok());
  std::promise<absl::Status> ping;
  std::promise<void> closed;
  io_.Run([&] {
    core_->Ping(
        [&](absl::StatusOr<v1::Pong> p) { ping.set_value(p.status()); });
    core_->Close(1000, [&] { closed.set_value(); });
  });
  EXPECT_EQ(ping.get_future().get().code(), absl::StatusCode::kCancelled);
  closed.get_future().wait();
  EXPECT_FALSE(core_->connected());
}

TEST_F(ClientCoreTest, ALateReplyErrorIsReportedAsAnEvent) {
  // The hook answers the Ping twice: the second Error has nobody to go to.
  server_.SetHook(
      [](int, const ClientFrame& frame, std::vector<ServerFrame>* replies) {
        if (!frame.has_ping()) return false;
        ServerFrame pong;
        pong.set_id(frame.id());
        pong.mutable_pong();
        ServerFrame error;
        error.set_id(frame.id());
        error.mutable_error()->set_code(v1::ERROR_CODE_INTERNAL);
        replies->push_back(pong);
        replies->push_back(error);
        return true;
      });
  std::promise<ServerFrame> late;
  io_.Run([&] {
    ClientCore::Handlers handlers;
    handlers.on_event = [&](const ClientEvent& event) {
      if (const auto* frame = std::get_if<ServerFrame>(&event)) {
        late.set_value(*frame);
      }
    };
    core_ = std::make_unique<ClientCore>(io_.io_context(), Options(),
                                         std::move(handlers));
  });
  std::promise<absl::StatusOr<Welcome>> welcome;
  std::promise<absl::Status> ping;
  io_.Run([&] {
    core_->Connect([&](absl::StatusOr<Welcome> w) {
      welcome.set_value(w);
      core_->Ping(
          [&](absl::StatusOr<v1::Pong> p) { ping.set_value(p.status()); });
    });
  });
  ASSERT_TRUE(welcome.get_future().get().ok());
  EXPECT_TRUE(ping.get_future().get().ok());
  std::future<ServerFrame> error = late.get_future();
  ASSERT_EQ(error.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(error.get().error().code(), v1::ERROR_CODE_INTERNAL);
}

TEST_F(ClientCoreTest, DedupeWindowIsTheWelcomesElseTheOptionsElseTwoMinutes) {
  ClientOptions options = Options();
  options.dedupe_window = absl::ZeroDuration();  // not positive: 2 minutes
  Create(options);
  absl::Duration window;
  io_.Run([&] { window = core_->dedupe_window(); });
  EXPECT_EQ(window, absl::Minutes(2));

  server_.SetDedupeWindow(absl::Seconds(90));
  std::promise<absl::StatusOr<Welcome>> welcome;
  io_.Run([&] {
    core_->Connect([&](absl::StatusOr<Welcome> w) { welcome.set_value(w); });
  });
  ASSERT_TRUE(welcome.get_future().get().ok());
  io_.Run([&] { window = core_->dedupe_window(); });
  EXPECT_EQ(window, absl::Seconds(90));
}

}  // namespace
}  // namespace client
}  // namespace switchboard
