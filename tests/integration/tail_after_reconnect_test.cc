// The tail of a NATS outage reaches connected members with no further
// traffic. A gateway gets live messages through JetStream's republish on core
// NATS, so what is published while its NATS connection is down never arrives
// live; when the connection is back, the gateway reads each subscribed room's
// tail (Hub::CheckTails) and delivers the missing messages in order, once.
//
// Gateway A reaches nats-server through a TCP proxy the test cuts and
// restores; gateway B (the publishers' gateway) is connected directly, so the
// messages are stored and acknowledged while A is cut off. Real nats-server,
// real gateway processes.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/client.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using testing::GatewayProcess;
using testing::WaitFor;

constexpr absl::Duration kDeadline = absl::Seconds(15);

// Records the offsets and ids a member is delivered, per room.
class Member {
 public:
  explicit Member(switchboard::client::ClientOptions options) : client_(std::move(options)) {
    client_.OnMessage([this](const cv1::Message& m) {
      absl::MutexLock lock(&mu_);
      ids_.push_back(m.message_id());
    });
  }
  Client& client() { return client_; }
  std::vector<std::string> Ids() {
    absl::MutexLock lock(&mu_);
    return ids_;
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return ids_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mu_);
  Client client_;
};

class TailAfterReconnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    auto proxy = testing::TcpProxy::Start(nats_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    auto a = GatewayProcess::Start(absl::StrCat("nats://127.0.0.1:", proxy_->port()), "gw-a");
    ASSERT_TRUE(a.ok()) << a.status();
    gw_a_ = std::move(*a);
    auto b = GatewayProcess::Start(nats_->url(), "gw-b");
    ASSERT_TRUE(b.ok()) << b.status();
    gw_b_ = std::move(*b);
    publisher_ = std::make_unique<Client>(gw_b_->ClientOptionsFor(GatewayProcess::Token("pub")));
    ASSERT_TRUE(publisher_->Connect().ok());
  }

  // Publishes `text` to `room` through gateway B and returns its id once acked.
  std::string Publish(const std::string& room, const std::string& text) {
    cv1::Payload payload;
    payload.set_text(text);
    auto ack = publisher_->Publish(room, payload);
    EXPECT_TRUE(ack.ok()) << ack.status();
    return ack.ok() ? ack->message_id() : "";
  }

  // Cuts gateway A off NATS and waits until it knows.
  void CutA() {
    proxy_->Cut();
    ASSERT_TRUE(WaitFor([&] { return gw_a_->Metric("switchboard_nats_connected") == 0; },
                        kDeadline));
  }

  void RestoreA() {
    proxy_->Restore();
    ASSERT_TRUE(WaitFor([&] { return gw_a_->Metric("switchboard_nats_connected") == 1; },
                        kDeadline));
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<testing::TcpProxy> proxy_;
  std::unique_ptr<GatewayProcess> gw_a_;
  std::unique_ptr<GatewayProcess> gw_b_;
  std::unique_ptr<Client> publisher_;
};

TEST_F(TailAfterReconnectTest, MessagesOfTheOutageArriveInOrderOnceWithNoMoreTraffic) {
  const std::string room = "chat:tail";
  Member member(gw_a_->ClientOptionsFor(GatewayProcess::Token("member")));
  ASSERT_TRUE(member.client().Connect().ok());
  ASSERT_TRUE(member.client().Join(room).ok());
  std::vector<std::string> published = {Publish(room, "before")};
  ASSERT_TRUE(WaitFor([&] { return member.count() == 1; }, kDeadline));

  CutA();
  for (int i = 0; i < 3; ++i) published.push_back(Publish(room, absl::StrCat("during ", i)));
  RestoreA();

  // Nothing more is published: only the tail check can deliver these.
  EXPECT_TRUE(WaitFor([&] { return member.count() >= published.size(); }, kDeadline))
      << member.count() << " of " << published.size() << " delivered";
  EXPECT_EQ(member.Ids(), published);
  // A later message still goes out live, once.
  published.push_back(Publish(room, "after"));
  EXPECT_TRUE(WaitFor([&] { return member.count() >= published.size(); }, kDeadline));
  EXPECT_EQ(member.Ids(), published);
  EXPECT_EQ(member.client().stats().reconnects, 0u) << "the member's session never dropped";
  EXPECT_EQ(member.client().stats().duplicates_dropped, 0u);
}

TEST_F(TailAfterReconnectTest, RoomWithNoLiveMessageYetGetsTheOutagesMessages) {
  // The gateway has delivered nothing in these rooms since it subscribed, so
  // it does not know where its members stand.
  Member member(gw_a_->ClientOptionsFor(GatewayProcess::Token("member")));
  ASSERT_TRUE(member.client().Connect().ok());
  ASSERT_TRUE(member.client().Join("chat:quiet-1").ok());
  ASSERT_TRUE(member.client().Join("chat:quiet-2").ok());
  // Stored before the member joined: not for it.
  Publish("chat:quiet-3", "elsewhere");

  CutA();
  std::vector<std::string> published = {Publish("chat:quiet-1", "one"),
                                        Publish("chat:quiet-2", "two"),
                                        Publish("chat:quiet-1", "three")};
  RestoreA();

  EXPECT_TRUE(WaitFor([&] { return member.count() >= published.size(); }, kDeadline))
      << member.count() << " of " << published.size() << " delivered";
  std::vector<std::string> got = member.Ids();
  ASSERT_EQ(got.size(), published.size());
  // Order holds within a room; rooms are independent.
  std::vector<std::string> room1;
  for (const std::string& id : got) {
    if (id != published[1]) room1.push_back(id);
  }
  EXPECT_EQ(room1, (std::vector<std::string>{published[0], published[2]}));
  EXPECT_NE(std::find(got.begin(), got.end(), published[1]), got.end());
  EXPECT_EQ(member.client().stats().duplicates_dropped, 0u);
}

}  // namespace
}  // namespace switchboard
