// Many members of a room resuming at about the same time (a reconnect storm)
// are answered from the room's window of recent messages in the gateway
// (fanout::RoomWindow) instead of one stream read per member, and still get
// exactly what they missed, in order, once, with Joined.recovered. Real
// nats-server, real gateway processes; the members' gateway counts where its
// catch-up reads came from (switchboard_gateway_catchup_reads_total).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/client.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using switchboard::client::JoinOptions;
using testing::GatewayProcess;
using testing::WaitFor;

constexpr absl::Duration kDeadline = absl::Seconds(20);
constexpr int kMembers = 40;

// One member's connection and what it was delivered.
struct Member {
  explicit Member(switchboard::client::ClientOptions options) : client(std::move(options)) {
    client.OnMessage([this](const cv1::Message& m) {
      absl::MutexLock lock(&mu);
      ids.push_back(m.message_id());
      last = m.offset();
    });
  }
  size_t count() {
    absl::MutexLock lock(&mu);
    return ids.size();
  }
  absl::Mutex mu;
  std::vector<std::string> ids ABSL_GUARDED_BY(mu);
  uint64_t last ABSL_GUARDED_BY(mu) = 0;
  Client client;
};

class ResumeWindowTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    auto a = GatewayProcess::Start(nats_->url(), "gw-members");
    ASSERT_TRUE(a.ok()) << a.status();
    members_gw_ = std::move(*a);
    auto b = GatewayProcess::Start(nats_->url(), "gw-pub");
    ASSERT_TRUE(b.ok()) << b.status();
    pub_gw_ = std::move(*b);
    publisher_ = std::make_unique<Client>(pub_gw_->ClientOptionsFor(GatewayProcess::Token("pub")));
    ASSERT_TRUE(publisher_->Connect().ok());
  }

  std::string Publish(const std::string& room, int i) {
    cv1::Payload payload;
    payload.set_text(absl::StrCat("m", i));
    auto ack = publisher_->Publish(room, payload);
    EXPECT_TRUE(ack.ok()) << ack.status();
    return ack.ok() ? ack->message_id() : "";
  }

  double Reads(const char* source) {
    return members_gw_->Metric(
        absl::StrCat("switchboard_gateway_catchup_reads_total{source=\"", source, "\"}"));
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<GatewayProcess> members_gw_;
  std::unique_ptr<GatewayProcess> pub_gw_;
  std::unique_ptr<Client> publisher_;
};

// With an anchor member staying connected, the room stays subscribed and its
// window already holds what the others missed; without one, every member
// left, the room was unsubscribed, and the first resume's stream read fills
// the window for the rest.
TEST_P(ResumeWindowTest, ManyMembersResumingTogetherGetExactlyWhatTheyMissed) {
  const bool anchor_stays = GetParam();
  const std::string room = "chat:storm";
  std::unique_ptr<Member> anchor;
  if (anchor_stays) {
    anchor = std::make_unique<Member>(
        members_gw_->ClientOptionsFor(GatewayProcess::Token("anchor")));
    ASSERT_TRUE(anchor->client.Connect().ok());
    ASSERT_TRUE(anchor->client.Join(room).ok());
  }
  std::vector<std::unique_ptr<Member>> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(std::make_unique<Member>(
        members_gw_->ClientOptionsFor(GatewayProcess::Token(absl::StrCat("m", i)))));
    ASSERT_TRUE(members.back()->client.Connect().ok());
    ASSERT_TRUE(members.back()->client.Join(room).ok());
  }
  std::vector<std::string> before;
  for (int i = 0; i < 10; ++i) before.push_back(Publish(room, i));
  for (auto& m : members) {
    ASSERT_TRUE(WaitFor([&] { return m->count() == before.size(); }, kDeadline));
  }
  // Everyone goes; the room moves on without them.
  std::vector<uint64_t> resume_from;
  for (auto& m : members) {
    m->client.Close();
    absl::MutexLock lock(&m->mu);
    resume_from.push_back(m->last);
  }
  std::vector<std::string> missed;
  for (int i = 10; i < 25; ++i) missed.push_back(Publish(room, i));
  if (anchor_stays) {
    ASSERT_TRUE(WaitFor([&] { return anchor->count() == before.size() + missed.size(); },
                        kDeadline));
  }
  const double window_before = Reads("window");
  const double stream_before = Reads("stream");

  // All resume at once, each on a new connection.
  std::vector<std::unique_ptr<Member>> resumed(kMembers);
  std::vector<std::thread> threads;
  std::atomic<int> recovered{0};
  std::atomic<int> failures{0};
  for (int i = 0; i < kMembers; ++i) {
    resumed[i] = std::make_unique<Member>(
        members_gw_->ClientOptionsFor(GatewayProcess::Token(absl::StrCat("m", i))));
    threads.emplace_back([&, i] {
      if (!resumed[i]->client.Connect().ok()) {
        ++failures;
        return;
      }
      JoinOptions options;
      options.since_offset = resume_from[i];
      auto joined = resumed[i]->client.Join(room, options);
      if (!joined.ok()) {
        ++failures;
      } else if (joined->recovered()) {
        ++recovered;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(recovered.load(), kMembers);
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_TRUE(WaitFor([&] { return resumed[i]->count() >= missed.size(); }, kDeadline))
        << "member " << i << " got " << resumed[i]->count() << " of " << missed.size();
  }
  // A message after the resume reaches everyone live.
  missed.push_back(Publish(room, 99));
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_TRUE(WaitFor([&] { return resumed[i]->count() >= missed.size(); }, kDeadline));
    absl::MutexLock lock(&resumed[i]->mu);
    EXPECT_EQ(resumed[i]->ids, missed) << "member " << i;
    EXPECT_EQ(resumed[i]->client.stats().duplicates_dropped, 0u) << "member " << i;
  }
  // Where the catch-ups came from: the window, except for the few resumes
  // that ran before the window knew the missed messages.
  const double from_window = Reads("window") - window_before;
  const double from_stream = Reads("stream") - stream_before;
  std::printf("catch-up reads: %.0f from the window, %.0f from the stream\n", from_window,
              from_stream);
  EXPECT_GE(from_window, kMembers * 3 / 4);
  EXPECT_LE(from_stream, anchor_stays ? 0 : kMembers / 4);
}

INSTANTIATE_TEST_SUITE_P(Anchor, ResumeWindowTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "AnchorStays" : "EveryoneLeft";
                         });

}  // namespace
}  // namespace switchboard
