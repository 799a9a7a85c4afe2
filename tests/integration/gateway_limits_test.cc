// Limits, heartbeats, slow consumers and the bad-input catalogue, against a
// real gateway with small limits. Each misbehaving client gets its documented
// error or close code, and a well-behaved client keeps being served.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/client.h"
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
using switchboard::client::ErrorCodeOf;
using testing::GatewayProcess;
using testing::RawWsClient;

class GatewayLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
    auto gw = GatewayProcess::Start(
        nats_->url(), "gw-limits",
        {"--ping_interval=300ms", "--ping_timeout=1500ms", "--connect_timeout=1s",
         "--handshake_timeout=1s", "--max_message_bytes=4096", "--max_payload_bytes=1024",
         "--max_rooms=3", "--publish_rate=5", "--publish_burst=5", "--max_connections_per_ip=40",
         "--max_queue_bytes=65536", "--lossy_queue_bytes=16384"});
    ASSERT_TRUE(gw.ok()) << gw.status();
    gw_ = gw->release();
  }
  static void TearDownTestSuite() {
    delete gw_;
    delete nats_;
  }

  void SetUp() override {
    // A well-behaved client that must keep working through every test.
    bystander_ = std::make_unique<Client>(gw_->ClientOptionsFor(GatewayProcess::Token("bystander")));
    ASSERT_TRUE(bystander_->Connect().ok());
  }
  void TearDown() override {
    EXPECT_TRUE(bystander_->Ping().ok()) << "the gateway stopped serving others";
  }

  // A raw JSON session, authenticated through the header (Welcome pushed).
  static std::unique_ptr<RawWsClient> RawSession(const std::string& user,
                                                 const std::string& protocol = "switchboard.v1.json") {
    auto raw = RawWsClient::Dial(gw_->port());
    EXPECT_TRUE(raw.ok());
    auto status = (*raw)->Upgrade("/ws", {"Sec-WebSocket-Protocol: " + protocol,
                                          "Authorization: Bearer " + GatewayProcess::Token(user)});
    EXPECT_TRUE(status.ok() && *status == 101) << (*raw)->response_head();
    auto welcome = (*raw)->ReadFrame(absl::Seconds(5));
    EXPECT_TRUE(welcome.ok());
    if (welcome.ok()) {
      cv1::ServerFrame frame;
      if (protocol == "switchboard.v1.json") {
        EXPECT_TRUE(absl::StrContains(welcome->payload, "welcome")) << welcome->payload;
      } else {
        EXPECT_TRUE(frame.ParseFromString(welcome->payload) && frame.has_welcome());
      }
    }
    return std::move(*raw);
  }

  // Reads frames until one contains `needle` (text frames).
  static bool ReadUntil(RawWsClient& raw, const std::string& needle) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      auto f = raw.ReadFrame(deadline - absl::Now());
      if (!f.ok()) return false;
      if (absl::StrContains(f->payload, needle)) return true;
    }
    return false;
  }

  static testing::NatsServer* nats_;
  static GatewayProcess* gw_;
  std::unique_ptr<Client> bystander_;
};

testing::NatsServer* GatewayLimitsTest::nats_ = nullptr;
GatewayProcess* GatewayLimitsTest::gw_ = nullptr;

TEST_F(GatewayLimitsTest, SilentPeerIsClosedByHeartbeatTimeout) {
  auto raw = RawSession("silent");
  // Never answers pings and sends nothing.
  auto code = raw->ReadUntilClose(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 4004);
}

TEST_F(GatewayLimitsTest, NoConnectFrameIsClosedByConnectTimeout) {
  auto raw = RawWsClient::Dial(gw_->port());
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(*(*raw)->Upgrade("/ws", {"Sec-WebSocket-Protocol: switchboard.v1.json"}), 101);
  auto code = (*raw)->ReadUntilClose(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 4003);
}

TEST_F(GatewayLimitsTest, SlowlorisHandshakeIsCutOff) {
  auto raw = RawWsClient::Dial(gw_->port());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->SendBytes("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n").ok());
  // Never finishes the request: the gateway hangs up after the handshake timeout.
  EXPECT_TRUE((*raw)->WaitForEof(absl::Seconds(10)));
}

TEST_F(GatewayLimitsTest, BadUpgradesGetHttpErrors) {
  struct Case {
    std::string path;
    std::vector<std::string> headers;
    int status;
  };
  const std::vector<Case> cases = {
      {"/ws", {"Sec-WebSocket-Protocol: mqtt"}, 400},
      {"/ws", {"Origin: https://evil.example.com"}, 403},
      {"/elsewhere", {}, 404},
      {"/ws?format=xml", {}, 400},
  };
  for (const Case& c : cases) {
    auto raw = RawWsClient::Dial(gw_->port());
    ASSERT_TRUE(raw.ok());
    auto status = (*raw)->Upgrade(c.path, c.headers);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(*status, c.status) << c.path << " " << (*raw)->response_head();
  }
}

TEST_F(GatewayLimitsTest, FramingViolationsCloseWithTheirCodes) {
  {  // Larger than --max_message_bytes.
    auto raw = RawSession("big");
    ASSERT_TRUE(raw->SendFrame(1, std::string(8000, 'x')).ok());
    EXPECT_EQ(*raw->ReadUntilClose(absl::Seconds(5)), 1009);
  }
  {  // Invalid UTF-8 in a text frame.
    auto raw = RawSession("utf8");
    ASSERT_TRUE(raw->SendFrame(1, "{\"id\":\"1\",\"ping\":{}}\xc3\x28").ok());
    EXPECT_EQ(*raw->ReadUntilClose(absl::Seconds(5)), 1007);
  }
  {  // Unmasked client frame.
    auto raw = RawSession("unmasked");
    ASSERT_TRUE(raw->SendFrame(1, "{}", true, /*mask=*/false).ok());
    EXPECT_EQ(*raw->ReadUntilClose(absl::Seconds(5)), 1002);
  }
  {  // Binary frame on a JSON session.
    auto raw = RawSession("binary");
    ASSERT_TRUE(raw->SendFrame(2, "\x08\x01").ok());
    EXPECT_EQ(*raw->ReadUntilClose(absl::Seconds(5)), 1003);
  }
  {  // Fragmented message with a ping in between still works.
    auto raw = RawSession("fragments");
    ASSERT_TRUE(raw->SendFrame(1, "{\"id\":\"7\",", /*fin=*/false).ok());
    ASSERT_TRUE(raw->SendFrame(9, "hi").ok());
    ASSERT_TRUE(raw->SendFrame(0, "\"ping\":{}}").ok());
    EXPECT_TRUE(ReadUntil(*raw, "\"pong\""));
  }
}

TEST_F(GatewayLimitsTest, BadInputCatalogueGetsClearErrors) {
  {
    auto raw = RawSession("json");
    ASSERT_TRUE(raw->SendFrame(1, "{not json").ok());
    EXPECT_TRUE(ReadUntil(*raw, "ERROR_CODE_BAD_REQUEST"));
    ASSERT_TRUE(raw->SendFrame(1, R"({"id":"5","subscribe":{"room":"a"}})").ok());
    EXPECT_TRUE(ReadUntil(*raw, "ERROR_CODE_UNSUPPORTED"));
    ASSERT_TRUE(raw->SendFrame(1, R"({"id":"6","join":{"room":"a.b"}})").ok());
    EXPECT_TRUE(ReadUntil(*raw, "ERROR_CODE_INVALID_ROOM"));
    ASSERT_TRUE(raw->SendFrame(1, R"({"id":"8","join":{"room":"*"}})").ok());
    EXPECT_TRUE(ReadUntil(*raw, "ERROR_CODE_INVALID_ROOM"));
    // Still usable afterwards.
    ASSERT_TRUE(raw->SendFrame(1, R"({"id":"9","ping":{}})").ok());
    EXPECT_TRUE(ReadUntil(*raw, "\"pong\""));
  }
  {
    auto raw = RawSession("proto", "switchboard.v1.proto");
    ASSERT_TRUE(raw->SendFrame(2, "\xff\xff\xff\xff").ok());
    auto f = raw->ReadFrame(absl::Seconds(5));
    ASSERT_TRUE(f.ok());
    cv1::ServerFrame frame;
    ASSERT_TRUE(frame.ParseFromString(f->payload));
    EXPECT_EQ(frame.error().code(), cv1::ERROR_CODE_BAD_REQUEST);
  }
  {  // A stream of garbage ends the session with 4011.
    auto raw = RawSession("garbage");
    for (int i = 0; i < 20; ++i) raw->SendFrame(1, "{").IgnoreError();
    EXPECT_EQ(*raw->ReadUntilClose(absl::Seconds(5)), 4011);
  }
}

TEST_F(GatewayLimitsTest, RoomAndPayloadLimits) {
  Client c(gw_->ClientOptionsFor(GatewayProcess::Token("limited")));
  ASSERT_TRUE(c.Connect().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Join(absl::StrCat("eph:r", i)).ok());
  EXPECT_EQ(ErrorCodeOf(c.Join("eph:r3").status()), cv1::ERROR_CODE_TOO_MANY_ROOMS);
  cv1::Payload big;
  big.set_text(std::string(2000, 'x'));
  EXPECT_EQ(ErrorCodeOf(c.Publish("eph:r0", big).status()), cv1::ERROR_CODE_PAYLOAD_TOO_LARGE);
}

TEST_F(GatewayLimitsTest, PublishRateLimitThenClose) {
  Client c(gw_->ClientOptionsFor(GatewayProcess::Token("spammer")));
  ASSERT_TRUE(c.Connect().ok());
  ASSERT_TRUE(c.Join("eph:spam").ok());
  cv1::Payload p;
  p.set_text("x");
  int limited = 0;
  for (int i = 0; i < 20; ++i) {
    if (ErrorCodeOf(c.Publish("eph:spam", p).status()) == cv1::ERROR_CODE_RATE_LIMITED) ++limited;
  }
  EXPECT_GE(limited, 10);
  // Keeping it up past the limit of rate-limited frames in a row closes with 4010.
  auto raw = RawSession("flooder");
  for (int i = 0; i < 100; ++i) {
    raw->SendFrame(1, absl::StrCat(R"({"id":")", i + 1, R"(","publish":{"room":"eph:x","payload":{"text":"x"}}})"))
        .IgnoreError();
  }
  EXPECT_EQ(*raw->ReadUntilClose(absl::Seconds(5)), 4010);
}

TEST_F(GatewayLimitsTest, ConnectionsPerIpAreCapped) {
  // Open more than the cap at once (well within the connect timeout), then
  // look for the refusals.
  std::vector<std::unique_ptr<RawWsClient>> held;
  for (int i = 0; i < 50; ++i) {
    auto raw = RawWsClient::Dial(gw_->port());
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(*(*raw)->Upgrade("/ws", {"Sec-WebSocket-Protocol: switchboard.v1.json"}), 101);
    held.push_back(std::move(*raw));
  }
  int refused = 0;
  for (auto& raw : held) {
    auto f = raw->ReadFrame(absl::Milliseconds(20));
    if (f.ok() && f->opcode == 8) {
      EXPECT_EQ((static_cast<uint8_t>(f->payload[0]) << 8) | static_cast<uint8_t>(f->payload[1]), 4009);
      ++refused;
    }
  }
  // 40 per IP, and the bystander holds one.
  EXPECT_EQ(refused, 11);
}

TEST_F(GatewayLimitsTest, HandshakesInProgressCountAgainstTheConnectionLimits) {
  // A gateway of its own, with one worker (one accept queue, so sockets are
  // accepted in the order they connected) and a long handshake timeout, so
  // that idle sockets hold their slots for the whole test.
  auto gw = GatewayProcess::Start(nats_->url(), "gw-handshakes",
                                  {"--workers=1", "--handshake_timeout=60s",
                                   "--max_connections_per_ip=10"});
  ASSERT_TRUE(gw.ok()) << gw.status();
  GatewayProcess& g = **gw;
  const auto upgrade = [&g](RawWsClient& raw) {
    return raw.Upgrade("/ws", {"Sec-WebSocket-Protocol: switchboard.v1.json",
                               "Authorization: Bearer " + GatewayProcess::Token("late")});
  };

  // Ten sockets that never send their upgrade request take the ten slots.
  std::vector<std::unique_ptr<RawWsClient>> idle;
  for (int i = 0; i < 10; ++i) {
    auto raw = RawWsClient::Dial(g.port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    idle.push_back(*std::move(raw));
  }
  // The next client upgrades and is told why it cannot stay.
  {
    auto raw = RawWsClient::Dial(g.port());
    ASSERT_TRUE(raw.ok());
    absl::StatusOr<int> status = upgrade(**raw);
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_EQ(*status, 101);
    absl::StatusOr<uint16_t> code = (*raw)->ReadUntilClose(absl::Seconds(10));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 4009);
  }
  // Refusals with 4009 are themselves bounded: 64 more idle sockets hold all
  // the refusal slots, and the socket after them is closed at accept, unread.
  for (int i = 0; i < 64; ++i) {
    auto raw = RawWsClient::Dial(g.port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    idle.push_back(*std::move(raw));
  }
  {
    auto raw = RawWsClient::Dial(g.port());
    ASSERT_TRUE(raw.ok());
    EXPECT_TRUE((*raw)->WaitForEof(absl::Seconds(20)));
    EXPECT_TRUE(testing::WaitFor(
        [&] { return g.Metric("switchboard_gateway_accept_refusals_total") == 1; },
        absl::Seconds(10)));
  }
  // The idle sockets leave: their slots come back, and a client gets in.
  idle.clear();
  bool welcomed = false;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        auto raw = RawWsClient::Dial(g.port());
        if (!raw.ok()) return false;
        absl::StatusOr<int> status = upgrade(**raw);
        if (!status.ok() || *status != 101) return false;
        auto frame = (*raw)->ReadFrame(absl::Seconds(5));
        welcomed = frame.ok() && absl::StrContains(frame->payload, "welcome");
        return welcomed;
      },
      absl::Seconds(20)));
  EXPECT_TRUE(welcomed);
}

TEST_F(GatewayLimitsTest, SlowConsumersLoseLossyFramesAndAreClosedOnLossless) {
  // A gateway of its own: fast publishing and big payloads, so that a client
  // that does not read overflows the kernel buffers and then its queue.
  auto gw = GatewayProcess::Start(nats_->url(), "gw-slow",
                                  {"--publish_rate=100000", "--publish_burst=100000",
                                   "--max_payload_bytes=60000", "--max_message_bytes=65536",
                                   "--max_queue_bytes=262144", "--lossy_queue_bytes=65536"});
  ASSERT_TRUE(gw.ok()) << gw.status();
  GatewayProcess& g = **gw;
  auto raw = RawWsClient::Dial(g.port(), /*receive_buffer=*/4096);
  ASSERT_TRUE(raw.ok());
  RawWsClient& slow = **raw;
  ASSERT_EQ(*slow.Upgrade("/ws", {"Sec-WebSocket-Protocol: switchboard.v1.json",
                                  "Authorization: Bearer " + GatewayProcess::Token("slow")}),
            101);
  ASSERT_TRUE(slow.SendFrame(1, R"({"id":"1","join":{"room":"eph:flood"}})").ok());
  ASSERT_TRUE(slow.SendFrame(1, R"({"id":"2","join":{"room":"chat:flood"}})").ok());
  ASSERT_TRUE(ReadUntil(slow, "chat:flood"));

  Client pub(g.ClientOptionsFor(GatewayProcess::Token("publisher")));
  ASSERT_TRUE(pub.Connect().ok());
  ASSERT_TRUE(pub.Join("eph:flood").ok());
  cv1::Payload p;
  p.set_text(std::string(50000, 'e'));
  // Cursor-class traffic: dropped for the slow client, which stays connected.
  for (int i = 0; i < 2000; ++i) {
    pub.SendEphemeral("eph:flood", cv1::EPHEMERAL_TYPE_CURSOR, p).IgnoreError();
    if (i % 50 == 49 && g.Metric("switchboard_gateway_drops_total{class=\"ephemeral\"}") > 0) break;
  }
  EXPECT_TRUE(testing::WaitFor(
      [&] { return g.Metric("switchboard_gateway_drops_total{class=\"ephemeral\"}") > 0; },
      absl::Seconds(10)));
  EXPECT_EQ(g.Metric("switchboard_gateway_slow_consumer_closes_total"), 0);

  // Lossless traffic: the slow client is closed with 4005 (and would resume).
  for (int i = 0; i < 200; ++i) {
    if (g.Metric("switchboard_gateway_slow_consumer_closes_total") > 0) break;
    pub.Publish("chat:flood", p).IgnoreError();
  }
  EXPECT_TRUE(testing::WaitFor(
      [&] { return g.Metric("switchboard_gateway_slow_consumer_closes_total") == 1; },
      absl::Seconds(10)));
  EXPECT_EQ(g.Metric("switchboard_gateway_closes_total{code=\"4005\"}"), 1);
  // The slow client starts reading again: behind what the kernel buffers
  // already held, it gets the 4005 Close frame, not a cut connection.
  std::string reason;
  std::vector<RawWsClient::Frame> before;
  absl::StatusOr<uint16_t> code = slow.ReadUntilClose(absl::Seconds(20), &reason, &before);
  ASSERT_TRUE(code.ok()) << code.status() << " after " << before.size() << " frames";
  EXPECT_EQ(*code, 4005) << reason;
  // The publisher on the same gateway was never affected.
  EXPECT_TRUE(pub.Ping().ok());
}

}  // namespace
}  // namespace switchboard
