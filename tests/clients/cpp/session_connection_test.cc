#include "clients/cpp/session_connection.h"

#include <future>
#include <memory>
#include <string>
#include <variant>

#include "clients/cpp/inbox.h"
#include "gtest/gtest.h"
#include "tests/clients/cpp/fake_server.h"
#include "tests/clients/cpp/io_thread.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::testing::FakeServer;
using ::switchboard::client::testing::IoThread;
using ::switchboard::client::v1::ServerFrame;
using ::switchboard::client::v1::Welcome;

constexpr absl::Duration kWait = absl::Seconds(5);

struct Established {
  Welcome welcome;
  bool reconnect;
};
struct Lost {
  CloseInfo close;
  bool will_reconnect;
  absl::Duration delay;
};
struct AttemptFailed {
  absl::Status status;
  int attempt;
  bool will_retry;
};
using Event = std::variant<Established, ServerFrame, Lost, AttemptFailed>;

class SessionConnectionTest : public ::testing::Test {
 protected:
  ~SessionConnectionTest() override {
    io_.Run([this] { session_.reset(); });
    io_.Stop();
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.port = server_.port();
    options.token = "secret";
    options.auto_reconnect = true;
    options.connect_timeout = absl::Seconds(3);
    options.reconnect_backoff_base = absl::Milliseconds(10);
    options.reconnect_backoff_cap = absl::Milliseconds(50);
    return options;
  }

  absl::StatusOr<Welcome> Connect(const ClientOptions& options) {
    std::promise<absl::StatusOr<Welcome>> connected;
    io_.Run([&] {
      SessionConnection::Handlers handlers;
      handlers.on_established = [this](const Welcome& welcome, bool reconnect) {
        events_.Push(Established{welcome, reconnect});
      };
      handlers.on_frame = [this](const ServerFrame& frame) {
        events_.Push(frame);
      };
      handlers.on_lost = [this](const CloseInfo& close, bool will_reconnect,
                                absl::Duration delay) {
        events_.Push(Lost{close, will_reconnect, delay});
      };
      handlers.on_reconnect_failed = [this](const absl::Status& status,
                                            int attempt, bool will_retry) {
        events_.Push(AttemptFailed{status, attempt, will_retry});
      };
      session_ = std::make_unique<SessionConnection>(
          io_.io_context(), options, [this] { return next_id_++; },
          std::move(handlers));
      session_->Connect([&](absl::StatusOr<Welcome> welcome) {
        connected.set_value(std::move(welcome));
      });
    });
    return connected.get_future().get();
  }

  template <typename T>
  std::optional<T> Next() {
    const absl::Time deadline = absl::Now() + kWait;
    while (true) {
      std::optional<Event> event =
          events_.Pop(std::max(deadline - absl::Now(), absl::ZeroDuration()));
      if (!event.has_value()) return std::nullopt;
      if (auto* wanted = std::get_if<T>(&*event)) return *wanted;
    }
  }

  SessionConnection::State State() {
    SessionConnection::State state;
    io_.Run([&] { state = session_->state(); });
    return state;
  }

  FakeServer server_;
  IoThread io_;
  uint64_t next_id_ = 1;
  std::unique_ptr<SessionConnection> session_;
  Inbox<Event> events_{1000};
};

TEST_F(SessionConnectionTest, EstablishesAndForwardsFrames) {
  absl::StatusOr<Welcome> welcome = Connect(Options());
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  std::optional<Established> established = Next<Established>();
  ASSERT_TRUE(established.has_value());
  EXPECT_FALSE(established->reconnect);
  EXPECT_TRUE(session_->connected());

  ServerFrame presence;
  presence.mutable_presence()->set_room("r");
  server_.Push(1, presence);
  std::optional<ServerFrame> frame = Next<ServerFrame>();
  ASSERT_TRUE(frame.has_value());
  EXPECT_TRUE(frame->has_presence());
}

TEST_F(SessionConnectionTest, ReconnectsAndResumesTheSessionId) {
  ASSERT_TRUE(Connect(Options()).ok());
  server_.Drop(1);
  std::optional<Lost> lost = Next<Lost>();
  ASSERT_TRUE(lost.has_value());
  EXPECT_TRUE(lost->will_reconnect);
  EXPECT_LE(lost->delay, absl::Milliseconds(10));  // first backoff window
  std::optional<Established> again = Next<Established>();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->reconnect);
  std::optional<FakeServer::Frame> connect = server_.WaitForFrame(
      [](const FakeServer::Frame& f) { return f.frame.has_connect(); }, kWait);
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(connect->frame.connect().session_id(), "session-1");
}

TEST_F(SessionConnectionTest, AFinalCloseCodeEndsTheSession) {
  ASSERT_TRUE(Connect(Options()).ok());
  server_.Close(1, v1::CLOSE_CODE_REPLACED, "replaced");
  std::optional<Lost> lost = Next<Lost>();
  ASSERT_TRUE(lost.has_value());
  EXPECT_FALSE(lost->will_reconnect);
  EXPECT_EQ(lost->close.code, v1::CLOSE_CODE_REPLACED);
  EXPECT_EQ(State(), SessionConnection::State::kClosed);
}

TEST_F(SessionConnectionTest, GoingAwaySetsTheReconnectDelay) {
  ASSERT_TRUE(Connect(Options()).ok());
  ServerFrame going_away;
  going_away.mutable_going_away()->mutable_reconnect_after()->set_nanos(
      250 * 1000 * 1000);
  server_.Push(1, going_away);
  server_.Close(1, v1::CLOSE_CODE_GOING_AWAY, "drain");
  std::optional<Lost> lost = Next<Lost>();
  ASSERT_TRUE(lost.has_value());
  EXPECT_TRUE(lost->will_reconnect);
  EXPECT_EQ(lost->delay, absl::Milliseconds(250));
}

TEST_F(SessionConnectionTest, CountsFailedAttemptsAndGivesUp) {
  ClientOptions options = Options();
  options.max_reconnect_attempts = 3;
  ASSERT_TRUE(Connect(options).ok());
  server_.DeclineUpgrades(503);
  server_.Drop(1);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    std::optional<AttemptFailed> failed = Next<AttemptFailed>();
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->attempt, attempt);
    EXPECT_EQ(failed->will_retry, attempt < 3);
  }
  EXPECT_EQ(State(), SessionConnection::State::kClosed);
}

TEST_F(SessionConnectionTest, CloseWhileWaitingToReconnectEndsIt) {
  ClientOptions options = Options();
  options.reconnect_backoff_base = absl::Seconds(30);
  options.reconnect_backoff_cap = absl::Seconds(30);
  ASSERT_TRUE(Connect(options).ok());
  server_.DeclineUpgrades(503);
  server_.Drop(1);
  ASSERT_TRUE(Next<Lost>().has_value());
  bool closed = false;
  io_.Run([&] { session_->Close(1000, [&] { closed = true; }); });
  EXPECT_TRUE(closed);
  EXPECT_EQ(State(), SessionConnection::State::kClosed);
}

TEST_F(SessionConnectionTest, TokenlessConnectSendsAConnectFrame) {
  ClientOptions options = Options();
  options.token.clear();
  ASSERT_TRUE(Connect(options).ok());
  std::optional<FakeServer::Frame> connect = server_.WaitForFrame(
      [](const FakeServer::Frame& f) { return f.frame.has_connect(); }, kWait);
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(connect->frame.connect().token(), "");
  EXPECT_EQ(server_.upgrades()[0].authorization, "");
}

}  // namespace
}  // namespace client
}  // namespace switchboard
