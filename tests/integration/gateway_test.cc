// The gateway against a real nats-server, through real WebSocket clients (the
// C++ client library, and a raw client for misbehaviour): auth, rooms,
// publish and delivery in both formats, across two gateways, and metrics.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "clients/cpp/server_status.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/integration/raw_ws_client.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using switchboard::client::ClientOptions;
using switchboard::client::Format;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::WaitFor;

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
    auto a = GatewayProcess::Start(nats_->url(), "gw-a");
    ASSERT_TRUE(a.ok()) << a.status();
    gw_a_ = a->release();
    auto b = GatewayProcess::Start(nats_->url(), "gw-b");
    ASSERT_TRUE(b.ok()) << b.status();
    gw_b_ = b->release();
  }
  static void TearDownTestSuite() {
    delete gw_a_;
    delete gw_b_;
    delete nats_;
  }

  static std::unique_ptr<Client> Connected(GatewayProcess* gw, const std::string& user,
                                           Format format = Format::kProtobuf,
                                           std::vector<std::string> rooms = {"*"}) {
    auto client = std::make_unique<Client>(gw->ClientOptionsFor(GatewayProcess::Token(user, rooms), format));
    auto welcome = client->Connect();
    EXPECT_TRUE(welcome.ok()) << welcome.status();
    if (welcome.ok()) {
      EXPECT_EQ(welcome->user_id(), user);
    }
    return client;
  }

  // Waits for the next room message in `room`.
  static std::optional<cv1::Message> NextMessage(Client& c, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      auto push = c.NextPush(deadline - absl::Now());
      if (!push) return std::nullopt;
      if (push->has_message()) return push->message();
    }
    return std::nullopt;
  }

  static testing::NatsServer* nats_;
  static GatewayProcess* gw_a_;
  static GatewayProcess* gw_b_;
};

testing::NatsServer* GatewayTest::nats_ = nullptr;
GatewayProcess* GatewayTest::gw_a_ = nullptr;
GatewayProcess* GatewayTest::gw_b_ = nullptr;

TEST_F(GatewayTest, TokenInHeaderQueryOrConnectFrameInBothFormats) {
  using Placement = ClientOptions::TokenPlacement;
  for (Format format : {Format::kProtobuf, Format::kJson}) {
    for (Placement placement : {Placement::kHeader, Placement::kQuery, Placement::kConnectFrame}) {
      ClientOptions options = gw_a_->ClientOptionsFor(GatewayProcess::Token("alice"), format);
      options.token_placement = placement;
      Client client(options);
      auto welcome = client.Connect();
      ASSERT_TRUE(welcome.ok()) << welcome.status();
      EXPECT_EQ(welcome->user_id(), "alice");
      EXPECT_EQ(welcome->gateway_id(), "gw-a");
      EXPECT_FALSE(welcome->connection_id().empty());
      EXPECT_GT(welcome->limits().max_payload_bytes(), 0u);
    }
  }
}

TEST_F(GatewayTest, EveryAuthFailureClosesWithItsCode) {
  const double bad_signature_before =
      gw_a_->Metric("switchboard_gateway_auth_failures_total{reason=\"bad_signature\"}");
  struct Case {
    std::string name;
    std::string token;
    uint16_t code;
  };
  std::string forged = GatewayProcess::Token("mallory");
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  // alg "none" with no signature.
  const std::string none =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJtYWxsb3J5IiwiZXhwIjo0MTAyNDQ0ODAwfQ.";
  const std::vector<Case> cases = {
      {"missing", "", 4001},
      {"garbage", "not-a-jwt", 4001},
      {"forged", forged, 4001},
      {"alg none", none, 4001},
      {"expired", GatewayProcess::Token("bob", {"*"}, std::nullopt, -absl::Minutes(10)), 4002},
  };
  for (const Case& c : cases) {
    ClientOptions options = gw_a_->ClientOptionsFor(c.token);
    options.token_placement = ClientOptions::TokenPlacement::kConnectFrame;
    Client client(options);
    auto welcome = client.Connect();
    EXPECT_FALSE(welcome.ok()) << c.name;
    EXPECT_EQ(switchboard::client::ErrorCodeOf(welcome.status()), cv1::ERROR_CODE_UNAUTHENTICATED)
        << c.name << ": " << welcome.status();
    auto closed = client.WaitForClose(absl::Seconds(10));
    ASSERT_TRUE(closed.has_value()) << c.name;
    EXPECT_EQ(closed->code, c.code) << c.name << " " << closed->reason;
  }
  EXPECT_GE(gw_a_->Metric("switchboard_gateway_auth_failures_total{reason=\"bad_signature\"}"),
            bad_signature_before + 1);
}

TEST_F(GatewayTest, JoinPublishAndDeliveryAcrossGatewaysAndFormats) {
  auto alice = Connected(gw_a_, "alice", Format::kProtobuf);
  auto bob = Connected(gw_b_, "bob", Format::kJson);
  ASSERT_TRUE(alice->Join("chat:deliver").ok());
  auto joined = bob->Join("chat:deliver");
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->kind(), cv1::ROOM_KIND_PERSISTED);
  EXPECT_FALSE(joined->recovered()) << "a plain join is not a resume (protocol.md §5.3)";

  auto ack = alice->Publish("chat:deliver", TextPayload("hello"), "msg-1");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_GT(ack->offset(), 0u);
  EXPECT_FALSE(ack->duplicate());

  auto at_bob = NextMessage(*bob);
  ASSERT_TRUE(at_bob.has_value());
  EXPECT_EQ(at_bob->payload().text(), "hello");
  EXPECT_EQ(at_bob->offset(), ack->offset());
  EXPECT_EQ(at_bob->message_id(), "msg-1");
  EXPECT_EQ(at_bob->sender().user_id(), "alice");
  auto at_alice = NextMessage(*alice);
  ASSERT_TRUE(at_alice.has_value());
  EXPECT_EQ(at_alice->offset(), ack->offset());

  // A retry with the same id is acked with the same offset and not delivered again.
  auto again = alice->Publish("chat:deliver", TextPayload("hello"), "msg-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->offset(), ack->offset());
  EXPECT_TRUE(again->duplicate());
  auto second = bob->Publish("chat:deliver", TextPayload("second"), "msg-2");
  ASSERT_TRUE(second.ok()) << second.status();
  auto next = NextMessage(*alice);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->message_id(), "msg-2");  // not msg-1 a second time
  EXPECT_GT(next->offset(), ack->offset());

  // Leave: no more deliveries.
  ASSERT_TRUE(bob->Leave("chat:deliver").ok());
  EXPECT_EQ(switchboard::client::ErrorCodeOf(bob->Leave("chat:deliver")), cv1::ERROR_CODE_NOT_JOINED);
}

TEST_F(GatewayTest, EphemeralRoomsAndTypingAreNotStored) {
  auto alice = Connected(gw_a_, "alice");
  auto bob = Connected(gw_b_, "bob");
  auto joined = alice->Join("eph:cursor-room");
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->kind(), cv1::ROOM_KIND_EPHEMERAL);
  EXPECT_FALSE(joined->recovered()) << "nothing of an ephemeral room is recovered";
  ASSERT_TRUE(bob->Join("eph:cursor-room").ok());
  auto ack = bob->Publish("eph:cursor-room", TextPayload("x=1"));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->offset(), 0u);
  auto m = NextMessage(*alice);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->payload().text(), "x=1");
  EXPECT_EQ(m->offset(), 0u);

  // Typing reaches the others, not the sender.
  ASSERT_TRUE(bob->SendEphemeral("eph:cursor-room", cv1::EPHEMERAL_TYPE_TYPING).ok());
  bool typing = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!typing && absl::Now() < deadline) {
    auto push = alice->NextPush(deadline - absl::Now());
    if (push && push->has_ephemeral()) {
      typing = push->ephemeral().type() == cv1::EPHEMERAL_TYPE_TYPING &&
               push->ephemeral().sender().user_id() == "bob";
    }
  }
  EXPECT_TRUE(typing);
}

TEST_F(GatewayTest, RefusalsCarryTheRequestIdAndAReason) {
  auto carol = Connected(gw_a_, "carol", Format::kJson, {"chat:*"});
  EXPECT_EQ(switchboard::client::ErrorCodeOf(carol->Join("secret:room").status()),
            cv1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(switchboard::client::ErrorCodeOf(carol->Join("bad.room").status()),
            cv1::ERROR_CODE_INVALID_ROOM);
  EXPECT_EQ(switchboard::client::ErrorCodeOf(carol->Publish("secret:room", TextPayload("x")).status()),
            cv1::ERROR_CODE_PERMISSION_DENIED);
  ASSERT_TRUE(carol->Join("chat:refusals").ok());
  EXPECT_EQ(switchboard::client::ErrorCodeOf(carol->Join("chat:refusals").status()),
            cv1::ERROR_CODE_ALREADY_JOINED);
  // Read-only token: may join, may not publish.
  Client reader(gw_a_->ClientOptionsFor(GatewayProcess::Token("dave", {"chat:*"}, std::vector<std::string>{})));
  ASSERT_TRUE(reader.Connect().ok());
  ASSERT_TRUE(reader.Join("chat:refusals").ok());
  EXPECT_EQ(switchboard::client::ErrorCodeOf(reader.Publish("chat:refusals", TextPayload("x")).status()),
            cv1::ERROR_CODE_PERMISSION_DENIED);
  // Still serving.
  EXPECT_TRUE(carol->Ping().ok());
}

TEST_F(GatewayTest, MetricsFollowTraffic) {
  const double opened = gw_b_->Metric("switchboard_gateway_connections_opened_total");
  const double joins = gw_b_->Metric("switchboard_gateway_joins_total");
  const double in = gw_b_->Metric("switchboard_gateway_messages_in_total{class=\"persisted\"}");
  {
    auto erin = Connected(gw_b_, "erin");
    ASSERT_TRUE(erin->Join("chat:metrics").ok());
    ASSERT_TRUE(erin->Publish("chat:metrics", TextPayload("m")).ok());
    ASSERT_TRUE(NextMessage(*erin).has_value());
    EXPECT_GE(gw_b_->Metric("switchboard_gateway_connections"), 1);
  }
  EXPECT_EQ(gw_b_->Metric("switchboard_gateway_connections_opened_total"), opened + 1);
  EXPECT_EQ(gw_b_->Metric("switchboard_gateway_joins_total"), joins + 1);
  EXPECT_EQ(gw_b_->Metric("switchboard_gateway_messages_in_total{class=\"persisted\"}"), in + 1);
  EXPECT_TRUE(WaitFor([] { return gw_b_->Metric("switchboard_gateway_connections") == 0; },
                      absl::Seconds(10)));
  EXPECT_GT(gw_b_->Metric("switchboard_gateway_delivery_latency_seconds_count"), 0);
}

}  // namespace
}  // namespace switchboard
