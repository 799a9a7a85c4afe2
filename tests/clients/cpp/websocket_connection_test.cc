#include "clients/cpp/websocket_connection.h"

#include <future>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "boost/asio/ip/tcp.hpp"
#include "clients/cpp/frame_format.h"
#include "clients/cpp/inbox.h"
#include "gtest/gtest.h"
#include "tests/clients/cpp/fake_server.h"
#include "tests/clients/cpp/io_thread.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::testing::FakeServer;
using ::switchboard::client::testing::IoThread;

constexpr absl::Duration kWait = absl::Seconds(5);

class WebSocketConnectionTest : public ::testing::Test {
 protected:
  ~WebSocketConnectionTest() override {
    io_.Run([this] { connection_.reset(); });
    io_.Stop();
  }

  WebSocketConnection::Settings DefaultSettings(int port) const {
    WebSocketConnection::Settings settings;
    settings.host = "127.0.0.1";
    settings.port = port;
    settings.target = "/ws";
    settings.subprotocol = kProtobufSubprotocol;
    settings.headers = {{"Authorization", "Bearer t"}};
    settings.close_timeout = absl::Seconds(2);
    return settings;
  }

  absl::Status Open(WebSocketConnection::Settings settings,
                    absl::Duration timeout = kWait) {
    std::promise<absl::Status> opened;
    io_.Run([&] {
      WebSocketConnection::Handlers handlers;
      handlers.on_message = [this](std::string message, bool binary) {
        messages_.Push({std::move(message), binary});
      };
      handlers.on_closed = [this](const CloseInfo& close) {
        closes_.Push(close);
      };
      connection_ = std::make_shared<WebSocketConnection>(
          io_.io_context(), std::move(settings), std::move(handlers));
      connection_->Open(timeout, [&](absl::Status status) {
        opened.set_value(std::move(status));
      });
    });
    return opened.get_future().get();
  }

  // Opens, then waits for the Welcome the fake pushes once its side of the
  // upgrade is done (it ignores levers until then).
  bool OpenAndAwaitWelcome() {
    if (!Open(DefaultSettings(server_.port())).ok()) return false;
    auto welcome = messages_.Pop(kWait);
    return welcome.has_value() &&
           Decode(welcome->first, Format::kProtobuf)->has_welcome();
  }

  bool Send(const v1::ClientFrame& frame) {
    bool sent = false;
    io_.Run([&] {
      sent = connection_->Send(std::make_shared<const std::string>(
                                   *Encode(frame, Format::kProtobuf)),
                               true);
    });
    return sent;
  }

  FakeServer server_;
  IoThread io_;
  std::shared_ptr<WebSocketConnection> connection_;
  Inbox<std::pair<std::string, bool>> messages_{100};
  Inbox<CloseInfo> closes_{100};
};

TEST_F(WebSocketConnectionTest, UpgradesWithSubprotocolAndHeaders) {
  ASSERT_TRUE(Open(DefaultSettings(server_.port())).ok());
  // The token came with the upgrade, so the fake pushes Welcome.
  auto welcome = messages_.Pop(kWait);
  ASSERT_TRUE(welcome.has_value());
  EXPECT_TRUE(welcome->second);
  EXPECT_TRUE(Decode(welcome->first, Format::kProtobuf)->has_welcome());

  v1::ClientFrame ping;
  ping.set_id(5);
  ping.mutable_ping();
  ASSERT_TRUE(Send(ping));
  auto pong = messages_.Pop(kWait);
  ASSERT_TRUE(pong.has_value());
  absl::StatusOr<v1::ServerFrame> frame =
      Decode(pong->first, Format::kProtobuf);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->id(), 5u);
  EXPECT_TRUE(frame->has_pong());

  std::vector<testing::UpgradeRecord> upgrades = server_.upgrades();
  ASSERT_EQ(upgrades.size(), 1u);
  EXPECT_EQ(upgrades[0].authorization, "Bearer t");
  EXPECT_EQ(upgrades[0].offered_subprotocols, kProtobufSubprotocol);
}

TEST_F(WebSocketConnectionTest, ReportsTheServersCloseCode) {
  ASSERT_TRUE(OpenAndAwaitWelcome());
  server_.Close(1, 4005, "too slow");
  std::optional<CloseInfo> close = closes_.Pop(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 4005);
  EXPECT_EQ(close->reason, "too slow");
  EXPECT_FALSE(close->by_client);
}

TEST_F(WebSocketConnectionTest, ClosesWithTheClientsCode) {
  ASSERT_TRUE(OpenAndAwaitWelcome());
  io_.Run([this] { connection_->Close(4000, "bye"); });
  std::optional<CloseInfo> close = closes_.Pop(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 4000);
  EXPECT_TRUE(close->by_client);
  EXPECT_EQ(server_.WaitForClientClose(1, kWait), 4000);
  bool sent = true;
  io_.Run([&] {
    sent = connection_->Send(std::make_shared<const std::string>("x"), true);
  });
  EXPECT_FALSE(sent);
}

TEST_F(WebSocketConnectionTest, ADroppedConnectionIsAbnormal) {
  ASSERT_TRUE(OpenAndAwaitWelcome());
  server_.Drop(1);
  std::optional<CloseInfo> close = closes_.Pop(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, kCloseCodeAbnormal);
  EXPECT_FALSE(close->by_client);
}

TEST_F(WebSocketConnectionTest,
       InvalidUtf8TextFromTheServerFailsTheConnection) {
  ASSERT_TRUE(OpenAndAwaitWelcome());
  server_.SendRaw(1, "\xff\xfe", /*binary=*/false);
  std::optional<CloseInfo> close = closes_.Pop(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_NE(close->code, 1000);
}

TEST_F(WebSocketConnectionTest, AbortReportsOnceAndAsynchronously) {
  ASSERT_TRUE(OpenAndAwaitWelcome());
  bool reported_inline = false;
  io_.Run([&] {
    connection_->Abort();
    reported_inline = closes_.size() > 0;
    connection_->Abort();
  });
  EXPECT_FALSE(reported_inline);
  std::optional<CloseInfo> close = closes_.Pop(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_TRUE(close->by_client);
  EXPECT_EQ(close->code, kCloseCodeAbnormal);
  EXPECT_FALSE(closes_.Pop(absl::Milliseconds(50)).has_value());
}

TEST_F(WebSocketConnectionTest, DeclinedUpgradesMapHttpStatuses) {
  server_.DeclineUpgrades(403);
  EXPECT_EQ(Open(DefaultSettings(server_.port())).code(),
            absl::StatusCode::kPermissionDenied);
  server_.DeclineUpgrades(404);
  EXPECT_EQ(Open(DefaultSettings(server_.port())).code(),
            absl::StatusCode::kNotFound);
  server_.DeclineUpgrades(429);
  EXPECT_EQ(Open(DefaultSettings(server_.port())).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(WebSocketConnectionTest, RefusesAnotherSubprotocol) {
  server_.ForceSubprotocol("");
  absl::Status status = Open(DefaultSettings(server_.port()));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST_F(WebSocketConnectionTest, TimesOutAgainstASilentServer) {
  // Accepts TCP connections (the kernel does) but never answers the upgrade.
  boost::asio::io_context silent;
  boost::asio::ip::tcp::acceptor acceptor(
      silent, boost::asio::ip::tcp::endpoint(
                  boost::asio::ip::make_address("127.0.0.1"), 0));
  const absl::Time start = absl::Now();
  absl::Status status = Open(DefaultSettings(acceptor.local_endpoint().port()),
                             absl::Milliseconds(200));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(WebSocketConnectionTest, AbortDuringOpenCancels) {
  boost::asio::io_context silent;
  boost::asio::ip::tcp::acceptor acceptor(
      silent, boost::asio::ip::tcp::endpoint(
                  boost::asio::ip::make_address("127.0.0.1"), 0));
  std::promise<absl::Status> opened;
  io_.Run([&] {
    connection_ = std::make_shared<WebSocketConnection>(
        io_.io_context(), DefaultSettings(acceptor.local_endpoint().port()),
        WebSocketConnection::Handlers{});
    connection_->Open(kWait, [&](absl::Status status) {
      opened.set_value(std::move(status));
    });
    connection_->Abort();
  });
  std::future<absl::Status> result = opened.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  EXPECT_EQ(result.get().code(), absl::StatusCode::kCancelled);
}

TEST_F(WebSocketConnectionTest, TheWriteQueueIsBounded) {
  WebSocketConnection::Settings settings = DefaultSettings(server_.port());
  settings.max_queued_writes = 2;
  ASSERT_TRUE(Open(settings).ok());
  std::vector<bool> sent;
  io_.Run([&] {
    // The first leaves the queue at once (it is being written); two wait.
    for (int i = 0; i < 4; ++i) {
      sent.push_back(connection_->Send(
          std::make_shared<const std::string>("\x10\x01"), true));
    }
  });
  EXPECT_EQ(sent, (std::vector<bool>{true, true, true, false}));
}

}  // namespace
}  // namespace client
}  // namespace switchboard
