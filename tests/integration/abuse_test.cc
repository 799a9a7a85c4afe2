// Abuse against a real gateway: ping floods, half-open upgrades, huge
// fragmented messages and connection floods (docs/security.md). In each test a
// well-behaved client keeps being served while the abuse goes on, and the
// gateway's resident memory stays bounded.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/integration/raw_ws_client.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

using switchboard::client::Client;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::RawWsClient;

constexpr int64_t kMaxRssGrowthKb = 64 * 1024;
constexpr int kMaxMessageBytes = 16384;
constexpr char kJson[] = "Sec-WebSocket-Protocol: switchboard.v1.json";

// VmRSS of `pid` in KiB, or -1.
int64_t RssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest(line);
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    int64_t kb = -1;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kb)) return kb;
  }
  return -1;
}

// A well-behaved client doing Publish and Ping round trips on its own thread
// for as long as it lives; counts what succeeded and what did not.
class Bystander {
 public:
  explicit Bystander(GatewayProcess& gw)
      : client_(gw.ClientOptionsFor(GatewayProcess::Token("bystander"))) {
    ok_ = client_.Connect().ok() && client_.Join("abuse:bystander").ok();
    if (ok_) thread_ = std::thread([this] { Run(); });
  }
  ~Bystander() { Stop(); }

  // Waits for at least `n` more round trips than so far (the gateway is
  // serving while the caller's abuse goes on).
  bool ServedAnother(int n) {
    const int target = successes_.load() + n;
    return testing::WaitFor([&] { return successes_.load() >= target; }, absl::Seconds(10));
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool connected() const { return ok_; }
  int successes() const { return successes_.load(); }
  int failures() const { return failures_.load(); }
  std::string first_failure() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_failure_;
  }

 private:
  void Run() {
    for (int i = 0; !stop_.load(); ++i) {
      auto ack = client_.Publish("abuse:bystander", TextPayload(absl::StrCat("m", i)));
      auto pong = client_.Ping();
      if (ack.ok() && pong.ok()) {
        successes_.fetch_add(1);
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        if (failures_.fetch_add(1) == 0) {
          first_failure_ = absl::StrCat(ack.status().ToString(), " / ", pong.status().ToString());
        }
      }
    }
  }

  Client client_;
  bool ok_ = false;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> successes_{0};
  std::atomic<int> failures_{0};
  std::mutex mu_;
  std::string first_failure_;  // guarded by mu_
};

class AbuseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
    auto gw = GatewayProcess::Start(
        nats_->url(), "gw-abuse",
        {"--handshake_timeout=1s", absl::StrCat("--max_message_bytes=", kMaxMessageBytes),
         "--publish_rate=100000", "--publish_burst=100000"});
    ASSERT_TRUE(gw.ok()) << gw.status();
    gw_ = gw->release();
  }
  static void TearDownTestSuite() {
    delete gw_;
    delete nats_;
  }

  // A raw JSON session authenticated through the header, Welcome consumed.
  static std::unique_ptr<RawWsClient> RawSession(GatewayProcess& gw, const std::string& user) {
    auto raw = RawWsClient::Dial(gw.port());
    EXPECT_TRUE(raw.ok());
    if (!raw.ok()) return nullptr;
    auto status =
        (*raw)->Upgrade("/ws", {kJson, "Authorization: Bearer " + GatewayProcess::Token(user)});
    EXPECT_TRUE(status.ok() && *status == 101) << (*raw)->response_head();
    auto welcome = (*raw)->ReadFrame(absl::Seconds(5));
    EXPECT_TRUE(welcome.ok() && absl::StrContains(welcome->payload, "welcome"));
    return std::move(*raw);
  }

  static testing::NatsServer* nats_;
  static GatewayProcess* gw_;
};

testing::NatsServer* AbuseTest::nats_ = nullptr;
GatewayProcess* AbuseTest::gw_ = nullptr;

// Lines of `log` that contain `needle`.
int CountLines(const std::string& log, absl::string_view needle) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) n += absl::StrContains(line, needle);
  return n;
}

// An unauthenticated client sending binary frames that fail to decode (a
// Join whose room is invalid UTF-8, which libprotobuf also logs), each
// followed by a valid Ping: the pings do not reset the bad-frame budget, so
// the connection is closed with 4011 after 10, and protobuf's log lines are
// rate limited instead of one per frame.
TEST_F(AbuseTest, BadFramesBetweenPingsAreClosedWith4011AndLogLittle) {
  const int lines_before = CountLines(gw_->process().Log(), "invalid UTF-8");
  const double connections_before = gw_->Metric("switchboard_gateway_connections");
  constexpr int kRounds = 2000;
  auto raw = RawWsClient::Dial(gw_->port());
  ASSERT_TRUE(raw.ok());
  auto status = (*raw)->Upgrade("/ws", {"Sec-WebSocket-Protocol: switchboard.v1.proto"});
  ASSERT_TRUE(status.ok() && *status == 101) << (*raw)->response_head();
  // ClientFrame{id: 1, join: {room: "\xff\xfe"}} and ClientFrame{id: 2, ping: {}}.
  const std::string bad_join("\x08\x01\x5a\x04\x0a\x02\xff\xfe", 8);
  const std::string ping("\x08\x02\x7a\x00", 4);
  int sent = 0;
  for (; sent < kRounds; ++sent) {
    if (!(*raw)->SendFrame(2, bad_join).ok() || !(*raw)->SendFrame(2, ping).ok()) break;
  }
  std::string reason;
  auto code = (*raw)->ReadUntilClose(absl::Seconds(10), &reason);
  ASSERT_TRUE(code.ok()) << code.status() << " after " << sent << " rounds sent";
  EXPECT_EQ(*code, 4011) << reason;
  // Bounded: 5 lines per 10 s window, whatever was sent.
  const int lines = CountLines(gw_->process().Log(), "invalid UTF-8") - lines_before;
  EXPECT_GE(lines, 1) << "protobuf's complaint never reached the gateway's log";
  EXPECT_LE(lines, 10) << lines << " log lines for " << sent << " bad frames";
  {
    Bystander bystander(*gw_);
    EXPECT_TRUE(bystander.connected());
    EXPECT_TRUE(bystander.ServedAnother(1)) << bystander.first_failure();
  }
  raw->reset();
  // Leave the gateway as it was found: other tests count its connections.
  EXPECT_TRUE(testing::WaitFor(
      [&] { return gw_->Metric("switchboard_gateway_connections") == connections_before; },
      absl::Seconds(10)));
}

// The gateway answers every WebSocket ping with a pong: pings are not rate
// limited and do not close the connection.
TEST_F(AbuseTest, PingFloodIsAnsweredAndOthersAreServed) {
  const int64_t rss_before = RssKb(gw_->process().pid());
  ASSERT_GT(rss_before, 0);
  Bystander bystander(*gw_);
  ASSERT_TRUE(bystander.connected());
  auto flooder = RawSession(*gw_, "flooder");
  ASSERT_NE(flooder, nullptr);

  constexpr int kPings = 20000;
  // Frame by frame, without reading: the pongs wait in the socket buffers.
  for (int i = 0; i < kPings; ++i) {
    ASSERT_TRUE(flooder->SendFrame(9, absl::StrCat("p", i)).ok()) << "ping " << i;
  }
  EXPECT_TRUE(bystander.ServedAnother(5)) << bystander.first_failure();

  int pongs = 0;
  std::string last;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (pongs < kPings && absl::Now() < deadline) {
    auto frame = flooder->ReadFrame(deadline - absl::Now());
    ASSERT_TRUE(frame.ok()) << frame.status() << " after " << pongs << " pongs";
    ASSERT_NE(frame->opcode, 8) << "the flooder was closed after " << pongs << " pongs";
    if (frame->opcode == 10) {
      ++pongs;
      last = frame->payload;
    }
  }
  EXPECT_EQ(pongs, kPings);
  EXPECT_EQ(last, absl::StrCat("p", kPings - 1));

  EXPECT_TRUE(bystander.ServedAnother(5)) << bystander.first_failure();
  bystander.Stop();
  EXPECT_EQ(bystander.failures(), 0) << bystander.first_failure();
  EXPECT_LT(RssKb(gw_->process().pid()) - rss_before, kMaxRssGrowthKb);
}

// A client that floods pings and never reads its pongs is a slow consumer:
// the pongs count against --max_queue_bytes, so it is closed with 4005 instead
// of growing the gateway's memory.
TEST_F(AbuseTest, PingFloodWithoutReadingIsClosedAsASlowConsumer) {
  const int64_t rss_before = RssKb(gw_->process().pid());
  ASSERT_GT(rss_before, 0);
  const double closes_before =
      gw_->Metric("switchboard_gateway_closes_total{code=\"4005\"}");
  ASSERT_GE(closes_before, 0);
  Bystander bystander(*gw_);
  ASSERT_TRUE(bystander.connected());
  // A small receive buffer from the start, so the pongs back up quickly.
  auto raw = RawWsClient::Dial(gw_->port(), /*receive_buffer=*/4096);
  ASSERT_TRUE(raw.ok()) << raw.status();
  RawWsClient& flooder = **raw;
  ASSERT_EQ(*flooder.Upgrade("/ws", {kJson, "Authorization: Bearer " +
                                                GatewayProcess::Token("pinger")}),
            101);

  // 125-byte pings, never a read, until the gateway gives up on the client
  // (or it stops taking our bytes). At most 400,000 pings (50 MB).
  const std::string payload(125, 'p');
  bool closed = false;
  for (int i = 0; i < 400000 && !closed; ++i) {
    if (!flooder.SendFrame(9, payload).ok()) break;  // reset after the close
    if (i % 2000 == 1999) {
      closed = gw_->Metric("switchboard_gateway_closes_total{code=\"4005\"}") > closes_before;
    }
  }
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return gw_->Metric("switchboard_gateway_closes_total{code=\"4005\"}") ==
               closes_before + 1;
      },
      absl::Seconds(10)));
  EXPECT_TRUE(bystander.ServedAnother(5)) << bystander.first_failure();
  bystander.Stop();
  EXPECT_EQ(bystander.failures(), 0) << bystander.first_failure();
  EXPECT_LT(RssKb(gw_->process().pid()) - rss_before, kMaxRssGrowthKb);
}

TEST_F(AbuseTest, HalfOpenUpgradesAreCutOffByTheHandshakeTimeout) {
  const double baseline = gw_->Metric("switchboard_gateway_connections");
  ASSERT_GE(baseline, 0);
  const int64_t rss_before = RssKb(gw_->process().pid());
  Bystander bystander(*gw_);
  ASSERT_TRUE(bystander.connected());

  constexpr int kSockets = 500;
  std::vector<std::unique_ptr<RawWsClient>> half_open;
  for (int i = 0; i < kSockets; ++i) {
    auto raw = RawWsClient::Dial(gw_->port());
    ASSERT_TRUE(raw.ok()) << "socket " << i << ": " << raw.status();
    ASSERT_TRUE((*raw)->SendBytes("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs").ok());
    half_open.push_back(std::move(*raw));
  }
  EXPECT_TRUE(bystander.ServedAnother(5)) << bystander.first_failure();

  // --handshake_timeout=1s: every socket is closed well within 10s in total.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int cut_off = 0;
  for (auto& raw : half_open) {
    if (raw->WaitForEof(std::max(deadline - absl::Now(), absl::ZeroDuration()))) ++cut_off;
  }
  EXPECT_EQ(cut_off, kSockets);
  half_open.clear();

  EXPECT_TRUE(bystander.ServedAnother(5)) << bystander.first_failure();
  bystander.Stop();
  EXPECT_EQ(bystander.failures(), 0) << bystander.first_failure();
  EXPECT_LT(RssKb(gw_->process().pid()) - rss_before, kMaxRssGrowthKb);
  // The bystander is still connected: baseline plus one.
  EXPECT_TRUE(testing::WaitFor(
      [&] { return gw_->Metric("switchboard_gateway_connections") == baseline + 1; },
      absl::Seconds(5)))
      << gw_->Metric("switchboard_gateway_connections") << " vs baseline " << baseline;
}

TEST_F(AbuseTest, TinyFragmentsUpToTheMessageLimitAreReassembled) {
  const int64_t rss_before = RssKb(gw_->process().pid());
  Bystander bystander(*gw_);
  ASSERT_TRUE(bystander.connected());

  {  // kMaxMessageBytes - 1 bytes in 16-byte fragments: accepted, answered.
    auto raw = RawSession(*gw_, "fragments-under");
    ASSERT_NE(raw, nullptr);
    const std::string head = "{\"id\":\"7\",";
    const std::string tail = "\"ping\":{}}";
    std::string message = head + std::string(kMaxMessageBytes - 1 - head.size() - tail.size(), ' ') +
                          tail;
    ASSERT_EQ(message.size(), kMaxMessageBytes - 1);
    for (size_t at = 0; at < message.size(); at += 16) {
      const bool first = at == 0;
      const bool last = at + 16 >= message.size();
      ASSERT_TRUE(raw->SendFrame(first ? 1 : 0, absl::string_view(message).substr(at, 16), last)
                      .ok());
    }
    bool answered = false;
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!answered && absl::Now() < deadline) {
      auto frame = raw->ReadFrame(deadline - absl::Now());
      ASSERT_TRUE(frame.ok()) << frame.status();
      ASSERT_NE(frame->opcode, 8) << frame->payload;
      answered = absl::StrContains(frame->payload, "\"pong\"");
    }
    EXPECT_TRUE(answered);
  }
  EXPECT_TRUE(bystander.ServedAnother(3)) << bystander.first_failure();

  {  // A message meant to be 10x the limit: closed with 1009 as soon as the
     // fragments received pass the limit, without the final fragment.
    auto raw = RawSession(*gw_, "fragments-over");
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->SendFrame(1, "{\"id\":\"7\",    ", /*fin=*/false).ok());
    for (int sent = 16; sent <= kMaxMessageBytes; sent += 16) {
      ASSERT_TRUE(raw->SendFrame(0, std::string(16, ' '), /*fin=*/false).ok()) << sent;
    }
    std::string reason;
    auto code = raw->ReadUntilClose(absl::Seconds(5), &reason);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1009) << reason;
  }

  EXPECT_TRUE(bystander.ServedAnother(3)) << bystander.first_failure();
  bystander.Stop();
  EXPECT_EQ(bystander.failures(), 0) << bystander.first_failure();
  EXPECT_LT(RssKb(gw_->process().pid()) - rss_before, kMaxRssGrowthKb);
}

// The gateway never negotiates permessage-deflate, so no compressed frame (and
// no decompression bomb) is ever accepted.
TEST_F(AbuseTest, PermessageDeflateIsNotNegotiated) {
  auto raw = RawWsClient::Dial(gw_->port());
  ASSERT_TRUE(raw.ok());
  auto status = (*raw)->Upgrade(
      "/ws", {kJson, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 101) << (*raw)->response_head();
  EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower((*raw)->response_head()),
                                 "sec-websocket-extensions"))
      << (*raw)->response_head();
  EXPECT_FALSE(absl::StrContains((*raw)->response_head(), "deflate")) << (*raw)->response_head();
}

// A gateway of its own with --max_connections=50: upgrades beyond it get 4009,
// the admitted ones that never send Connect get 4003 at the connect timeout,
// and then new clients are admitted again.
TEST(AbuseConnectionFloodTest, FloodBeyondMaxConnectionsIsRefusedThenReleased) {
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  auto gw_or = GatewayProcess::Start(
      (*nats)->url(), "gw-flood",
      {"--max_connections=50", "--connect_timeout=2s", "--handshake_timeout=1s",
       "--publish_rate=100000", "--publish_burst=100000"});
  ASSERT_TRUE(gw_or.ok()) << gw_or.status();
  GatewayProcess& gw = **gw_or;
  const int64_t rss_before = RssKb(gw.process().pid());
  ASSERT_GT(rss_before, 0);

  Bystander bystander(gw);  // holds one of the 50 slots
  ASSERT_TRUE(bystander.connected());
  ASSERT_TRUE(testing::WaitFor([&] { return gw.Metric("switchboard_gateway_connections") == 1; },
                               absl::Seconds(5)));

  constexpr int kFlood = 80;
  std::vector<std::unique_ptr<RawWsClient>> flood;
  for (int i = 0; i < kFlood; ++i) {
    auto raw = RawWsClient::Dial(gw.port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    auto status = (*raw)->Upgrade("/ws", {kJson});  // and never a Connect frame
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_EQ(*status, 101) << (*raw)->response_head();
    flood.push_back(std::move(*raw));
  }
  EXPECT_TRUE(bystander.ServedAnother(5)) << bystander.first_failure();

  int refused = 0;
  int timed_out = 0;
  for (auto& raw : flood) {
    auto code = raw->ReadUntilClose(absl::Seconds(10));
    ASSERT_TRUE(code.ok()) << code.status();
    if (*code == 4009) ++refused;
    if (*code == 4003) ++timed_out;
  }
  EXPECT_EQ(refused, kFlood - 49);
  EXPECT_EQ(timed_out, 49);
  flood.clear();

  // Everything but the bystander is released...
  EXPECT_TRUE(testing::WaitFor([&] { return gw.Metric("switchboard_gateway_connections") == 1; },
                               absl::Seconds(10)))
      << gw.Metric("switchboard_gateway_connections");
  // ...and the freed slots admit new clients.
  std::vector<std::unique_ptr<Client>> fresh;
  for (int i = 0; i < 10; ++i) {
    auto client =
        std::make_unique<Client>(gw.ClientOptionsFor(GatewayProcess::Token(absl::StrCat("new", i))));
    auto welcome = client->Connect();
    ASSERT_TRUE(welcome.ok()) << "client " << i << ": " << welcome.status();
    ASSERT_TRUE(client->Ping().ok());
    fresh.push_back(std::move(client));
  }
  EXPECT_TRUE(testing::WaitFor([&] { return gw.Metric("switchboard_gateway_connections") == 11; },
                               absl::Seconds(5)));

  EXPECT_TRUE(bystander.ServedAnother(3)) << bystander.first_failure();
  bystander.Stop();
  EXPECT_EQ(bystander.failures(), 0) << bystander.first_failure();
  EXPECT_LT(RssKb(gw.process().pid()) - rss_before, kMaxRssGrowthKb);
}

}  // namespace
}  // namespace switchboard
