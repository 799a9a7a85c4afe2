// The C++ client's list of gateways (ClientOptions::fallback_gateways): Connect
// skips a dead gateway, and a client whose gateway is killed with SIGKILL under
// traffic reconnects to another one and resumes its room with nothing skipped
// or repeated. Real nats-server, real gateway processes.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/client.h"
#include "clients/cpp/gateway_url.h"
#include "clients/cpp/message_util.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using switchboard::client::ClientEvent;
using switchboard::client::ClientOptions;
using switchboard::client::GatewayAddress;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::WaitFor;

class ClientFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    for (const char* id : {"gw-a", "gw-b"}) {
      auto gw = GatewayProcess::Start(nats_->url(), id);
      ASSERT_TRUE(gw.ok()) << gw.status();
      gateways_.push_back(std::move(*gw));
    }
  }

  // Options for gateway `first`, with the other one as its fallback.
  ClientOptions FailoverOptions(int first, const std::string& user) {
    ClientOptions options = gateways_[first]->ClientOptionsFor(GatewayProcess::Token(user));
    const GatewayProcess& other = *gateways_[1 - first];
    options.fallback_gateways.push_back(GatewayAddress{"127.0.0.1", other.port()});
    options.auto_reconnect = true;
    options.reconnect_backoff_base = absl::Milliseconds(20);
    options.reconnect_backoff_cap = absl::Milliseconds(200);
    options.connect_timeout = absl::Seconds(5);
    return options;
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::vector<std::unique_ptr<GatewayProcess>> gateways_;
};

TEST_F(ClientFailoverTest, ConnectSkipsADeadGateway) {
  gateways_[0]->Kill();
  ClientOptions options = FailoverOptions(0, "skipper");
  options.auto_reconnect = false;
  Client client(options);
  auto welcome = client.Connect();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  // It really is on gw-b: a join works and gw-b counts the connection.
  ASSERT_TRUE(client.Join("chat:skip").ok());
  EXPECT_TRUE(WaitFor(
      [&] { return gateways_[1]->Metric("switchboard_gateway_connections") == 1; },
      absl::Seconds(5)));
}

TEST_F(ClientFailoverTest, ConnectFailsWhenEveryGatewayIsDown) {
  gateways_[0]->Kill();
  gateways_[1]->Kill();
  ClientOptions options = FailoverOptions(0, "nobody");
  options.auto_reconnect = false;
  Client client(options);
  auto welcome = client.Connect();
  ASSERT_FALSE(welcome.ok());
  // The error is the last gateway's, not a generic one.
  EXPECT_NE(welcome.status().message().find(absl::StrCat(gateways_[1]->port())),
            std::string::npos)
      << welcome.status();
}

TEST_F(ClientFailoverTest, ConnectStopsAtAnAuthenticationError) {
  ClientOptions options = FailoverOptions(0, "forger");
  options.token = GatewayProcess::Token("forger", {"*"}, std::nullopt, absl::Seconds(-60));
  options.auto_reconnect = false;
  Client client(options);
  auto welcome = client.Connect();
  ASSERT_FALSE(welcome.ok());
  EXPECT_EQ(welcome.status().code(), absl::StatusCode::kUnauthenticated) << welcome.status();
  // An expired token is expired everywhere: the second gateway saw no attempt.
  EXPECT_EQ(gateways_[1]->Metric("switchboard_gateway_connections"), 0);
  EXPECT_LE(gateways_[1]->Metric(
                "switchboard_gateway_auth_failures_total{reason=\"expired\"}"),
            0);
}

TEST_F(ClientFailoverTest, KilledGatewayFailsOverAndResumesWithoutGap) {
  const std::string room = "chat:failover";
  Client reader(FailoverOptions(0, "reader"));
  absl::Mutex mu;
  std::vector<uint64_t> offsets;
  std::atomic<int> reconnects{0};
  reader.OnMessage([&](const cv1::Message& m) {
    absl::MutexLock lock(&mu);
    offsets.push_back(m.offset());
  });
  reader.OnEvent([&](const ClientEvent& event) {
    if (std::holds_alternative<switchboard::client::Reconnected>(event)) ++reconnects;
  });
  ASSERT_TRUE(reader.Connect().ok());
  ASSERT_TRUE(reader.Join(room).ok());

  // The publisher sits on the gateway that survives.
  ClientOptions pub_options = gateways_[1]->ClientOptionsFor(GatewayProcess::Token("pub"));
  Client publisher(pub_options);
  ASSERT_TRUE(publisher.Connect().ok());

  constexpr int kMessages = 60;
  std::vector<uint64_t> acked;
  for (int i = 0; i < kMessages; ++i) {
    if (i == kMessages / 3) {
      // Mid-stream, once the reader has seen what was published so far.
      ASSERT_TRUE(WaitFor(
          [&] {
            absl::MutexLock lock(&mu);
            return offsets.size() == acked.size();
          },
          absl::Seconds(10)));
      gateways_[0]->Kill();
    }
    auto ack = publisher.Publish(room, TextPayload(absl::StrCat("m", i)), absl::StrCat("id-", i));
    ASSERT_TRUE(ack.ok()) << ack.status();
    acked.push_back(ack->offset());
  }

  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock lock(&mu);
        return offsets.size() >= acked.size();
      },
      absl::Seconds(20)))
      << "the reader did not catch up after the failover";
  EXPECT_GE(reconnects.load(), 1);
  EXPECT_TRUE(reader.connected());
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(offsets, acked);  // every acked message once, in order
  }
  // The reader now lives on gw-b.
  EXPECT_TRUE(WaitFor(
      [&] { return gateways_[1]->Metric("switchboard_gateway_connections") == 2; },
      absl::Seconds(5)));
}

TEST(GatewayUrlsTest, ListSetsTheFirstAndTheFallbacks) {
  ClientOptions options;
  ASSERT_TRUE(switchboard::client::ApplyGatewayUrls(
                  "ws://gw-1:8080/ws, ws://gw-2:8081/ws,ws://[::1]:8082/ws", &options)
                  .ok());
  EXPECT_EQ(options.host, "gw-1");
  EXPECT_EQ(options.port, 8080);
  ASSERT_EQ(options.fallback_gateways.size(), 2u);
  EXPECT_EQ(options.fallback_gateways[0].host, "gw-2");
  EXPECT_EQ(options.fallback_gateways[0].port, 8081);
  EXPECT_EQ(options.fallback_gateways[1].host, "::1");

  // Mixed schemes or paths are refused, and leave the options alone.
  absl::Status mixed =
      switchboard::client::ApplyGatewayUrls("ws://a:1/ws,wss://b:2/ws", &options);
  EXPECT_EQ(mixed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(switchboard::client::ApplyGatewayUrls("ws://a:1/ws,ws://b:2/other", &options).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(switchboard::client::ApplyGatewayUrls("ws://a:1/ws,", &options).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.host, "gw-1");
  EXPECT_EQ(options.fallback_gateways.size(), 2u);
}

}  // namespace
}  // namespace switchboard
