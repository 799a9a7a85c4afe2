// Delivery guarantees of persisted rooms (docs/delivery.md), against real
// nats-server and gateway processes: resume without gaps or duplicates,
// history, "not recovered" past the window, idempotent publish, interest
// management, a NATS restart with file storage, a drain, and a randomized run
// over two gateways.
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "clients/cpp/server_status.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using switchboard::client::ClientOptions;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::WaitFor;

// Collects a client's room messages (after the client's duplicate filter,
// which only drops offsets <= the last one seen: real duplicates or
// reordering would still show up as gaps or wrong order here).
struct Received {
  absl::Mutex mu;
  std::map<std::string, std::vector<uint64_t>> offsets ABSL_GUARDED_BY(mu);
  std::map<std::string, std::vector<std::string>> ids ABSL_GUARDED_BY(mu);

  void Attach(Client& c) {
    c.OnMessage([this](const cv1::Message& m) {
      absl::MutexLock lock(&mu);
      offsets[m.room()].push_back(m.offset());
      ids[m.room()].push_back(m.message_id());
    });
  }
  size_t Count(const std::string& room) {
    absl::MutexLock lock(&mu);
    return ids[room].size();
  }
  std::vector<std::string> Ids(const std::string& room) {
    absl::MutexLock lock(&mu);
    return ids[room];
  }
};

class DeliveryTest : public ::testing::Test {
 protected:
  void StartAll(std::vector<std::string> gateway_flags = {}, bool file_storage = false) {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    if (file_storage) gateway_flags.push_back("--storage=file");
    auto a = GatewayProcess::Start(nats_->url(), "gw-a", gateway_flags);
    ASSERT_TRUE(a.ok()) << a.status();
    gw_a_ = std::move(*a);
    auto b = GatewayProcess::Start(nats_->url(), "gw-b", gateway_flags);
    ASSERT_TRUE(b.ok()) << b.status();
    gw_b_ = std::move(*b);
  }

  std::unique_ptr<Client> Connected(GatewayProcess& gw, const std::string& user,
                                    bool auto_reconnect = false) {
    ClientOptions options = gw.ClientOptionsFor(GatewayProcess::Token(user));
    options.auto_reconnect = auto_reconnect;
    options.reconnect_backoff_base = absl::Milliseconds(50);
    options.reconnect_backoff_cap = absl::Milliseconds(500);
    auto c = std::make_unique<Client>(options);
    auto w = c->Connect();
    EXPECT_TRUE(w.ok()) << w.status();
    return c;
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<GatewayProcess> gw_a_;
  std::unique_ptr<GatewayProcess> gw_b_;
};

TEST_F(DeliveryTest, ResumeOnAnotherGatewayReplaysExactlyWhatWasMissed) {
  StartAll();
  auto pub = Connected(*gw_a_, "pub");
  auto reader = Connected(*gw_a_, "reader");
  Received got;
  got.Attach(*reader);
  ASSERT_TRUE(reader->Join("chat:resume").ok());
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(absl::StrCat("a", i));
    ASSERT_TRUE(pub->Publish("chat:resume", TextPayload("x"), sent.back()).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return got.Count("chat:resume") == 5; }, absl::Seconds(10)));
  const uint64_t last = *reader->LastOffset("chat:resume");
  reader.reset();  // gone

  for (int i = 0; i < 7; ++i) {
    sent.push_back(absl::StrCat("b", i));
    ASSERT_TRUE(pub->Publish("chat:resume", TextPayload("x"), sent.back()).ok());
  }
  // Back, on the other gateway, from the last offset seen.
  auto again = Connected(*gw_b_, "reader");
  Received got2;
  got2.Attach(*again);
  switchboard::client::JoinOptions from;
  from.since_offset = last;
  auto joined = again->Join("chat:resume", from);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_TRUE(joined->recovered());
  // Live messages published while the replay runs must follow without gap.
  for (int i = 0; i < 3; ++i) {
    sent.push_back(absl::StrCat("c", i));
    ASSERT_TRUE(pub->Publish("chat:resume", TextPayload("x"), sent.back()).ok());
  }
  // A last message: anything delivered twice would arrive before it.
  sent.push_back("sentinel");
  ASSERT_TRUE(pub->Publish("chat:resume", TextPayload("x"), sent.back()).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto ids = got2.Ids("chat:resume");
    return !ids.empty() && ids.back() == "sentinel";
  }, absl::Seconds(10)));
  std::vector<std::string> expected(sent.begin() + 5, sent.end());
  EXPECT_EQ(got2.Ids("chat:resume"), expected);
  EXPECT_EQ(again->stats().duplicates_dropped, 0u);
}

TEST_F(DeliveryTest, HistoryOnJoinAndNotRecoveredPastTheWindow) {
  StartAll({"--history_per_room=5"});
  auto pub = Connected(*gw_a_, "pub");
  std::vector<uint64_t> offsets;
  for (int i = 0; i < 12; ++i) {
    auto ack = pub->Publish("chat:window", TextPayload(absl::StrCat(i)), absl::StrCat("w", i));
    ASSERT_TRUE(ack.ok());
    offsets.push_back(ack->offset());
  }
  auto fresh = Connected(*gw_b_, "fresh");
  Received got;
  got.Attach(*fresh);
  switchboard::client::JoinOptions history;
  history.history_limit = 3;
  auto joined = fresh->Join("chat:window", history);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->offset(), offsets.back());
  ASSERT_TRUE(WaitFor([&] { return got.Count("chat:window") == 3; }, absl::Seconds(10)));
  EXPECT_EQ(got.Ids("chat:window"), (std::vector<std::string>{"w9", "w10", "w11"}));

  // Offset 2 (the 3rd message) fell out of the 5-message window.
  auto late = Connected(*gw_b_, "late");
  Received got_late;
  got_late.Attach(*late);
  switchboard::client::JoinOptions from;
  from.since_offset = offsets[2];
  auto resumed = late->Join("chat:window", from);
  ASSERT_TRUE(resumed.ok());
  EXPECT_FALSE(resumed->recovered());
  EXPECT_EQ(resumed->offset(), offsets.back());
  // What is retained is still delivered, in order.
  ASSERT_TRUE(WaitFor([&] { return got_late.Count("chat:window") == 5; }, absl::Seconds(10)));
  EXPECT_EQ(got_late.Ids("chat:window"),
            (std::vector<std::string>{"w7", "w8", "w9", "w10", "w11"}));
}

TEST_F(DeliveryTest, GatewayWithoutMembersReceivesNoRoomTraffic) {
  StartAll();
  auto pub = Connected(*gw_a_, "pub");
  auto member = Connected(*gw_a_, "member");
  ASSERT_TRUE(member->Join("chat:interest").ok());
  const double before = gw_b_->Metric("switchboard_gateway_bus_messages_received_total");
  ASSERT_GE(before, 0);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(pub->Publish("chat:interest", TextPayload("x")).ok());
  EXPECT_TRUE(WaitFor([&] {
    return gw_a_->Metric("switchboard_gateway_bus_messages_received_total") >= 20;
  }, absl::Seconds(10)));
  EXPECT_EQ(gw_b_->Metric("switchboard_gateway_bus_messages_received_total"), before);
  // Once someone joins on gw-b, it gets the room's traffic too.
  auto other = Connected(*gw_b_, "other");
  ASSERT_TRUE(other->Join("chat:interest").ok());
  ASSERT_TRUE(pub->Publish("chat:interest", TextPayload("y")).ok());
  // (At least one: the room's presence events now reach gw-b as well.)
  EXPECT_TRUE(WaitFor([&] {
    return gw_b_->Metric("switchboard_gateway_bus_messages_received_total") >= before + 1;
  }, absl::Seconds(10)));
}

TEST_F(DeliveryTest, NatsRestartLosesNothingAcknowledged) {
  StartAll({}, /*file_storage=*/true);
  auto reader = Connected(*gw_b_, "reader", /*auto_reconnect=*/true);
  Received got;
  got.Attach(*reader);
  ASSERT_TRUE(reader->Join("chat:restart").ok());
  auto pub = Connected(*gw_a_, "pub");
  std::set<std::string> acked;
  for (int i = 0; i < 10; ++i) {
    std::string id = absl::StrCat("before", i);
    if (pub->Publish("chat:restart", TextPayload("x"), id).ok()) acked.insert(id);
  }
  ASSERT_TRUE(nats_->Kill().ok());
  // While NATS is down, publishes fail fast with a retryable error.
  auto down = pub->Publish("chat:restart", TextPayload("x"), "during");
  EXPECT_FALSE(down.ok());
  EXPECT_EQ(switchboard::client::ErrorCodeOf(down.status()), cv1::ERROR_CODE_UNAVAILABLE);
  ASSERT_TRUE(nats_->Restart().ok());
  // Both gateways come back by themselves.
  ASSERT_TRUE(WaitFor([&] {
    return gw_a_->Metric("switchboard_nats_connected") == 1 &&
           gw_b_->Metric("switchboard_nats_connected") == 1;
  }, absl::Seconds(20)));
  for (int i = 0; i < 10; ++i) {
    std::string id = absl::StrCat("after", i);
    // Retry with the same id until acked (the gateway may still be provisioning).
    if (WaitFor([&] { return pub->Publish("chat:restart", TextPayload("x"), id).ok(); },
                absl::Seconds(10), absl::Milliseconds(100))) {
      acked.insert(id);
    }
  }
  ASSERT_EQ(acked.size(), 20u);
  ASSERT_TRUE(WaitFor([&] { return got.Count("chat:restart") >= 20; }, absl::Seconds(20)))
      << got.Count("chat:restart");
  std::vector<std::string> ids = got.Ids("chat:restart");
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "duplicates delivered";
  for (const std::string& id : acked) EXPECT_TRUE(unique.count(id)) << id << " lost";
}

TEST_F(DeliveryTest, DrainTellsClientsToGoAwayAndLosesNothingAcknowledged) {
  StartAll({"--drain_window=1s", "--drain_timeout=5s"});
  auto reader = Connected(*gw_a_, "reader");
  ASSERT_TRUE(reader->Join("chat:drain").ok());
  auto pub = Connected(*gw_b_, "pub");
  std::vector<uint64_t> acked;
  for (int i = 0; i < 5; ++i) {
    auto ack = pub->Publish("chat:drain", TextPayload("x"));
    ASSERT_TRUE(ack.ok());
    acked.push_back(ack->offset());
  }
  const uint64_t seen_before = [&] {
    WaitFor([&] { return reader->LastOffset("chat:drain").value_or(0) == acked.back(); },
            absl::Seconds(10));
    return reader->LastOffset("chat:drain").value_or(0);
  }();
  ASSERT_TRUE(gw_a_->process().Signal(SIGTERM).ok());
  bool going_away = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!going_away && absl::Now() < deadline) {
    auto push = reader->NextPush(deadline - absl::Now());
    if (push && push->has_going_away()) going_away = true;
  }
  EXPECT_TRUE(going_away);
  auto closed = reader->WaitForClose(absl::Seconds(10));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code, 1001);
  auto code = gw_a_->process().Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  // Resume on the other gateway: everything acked is there.
  auto again = Connected(*gw_b_, "reader");
  Received got;
  got.Attach(*again);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pub->Publish("chat:drain", TextPayload("y")).ok());
  switchboard::client::JoinOptions from;
  from.since_offset = seen_before;
  ASSERT_TRUE(again->Join("chat:drain", from).ok());
  EXPECT_TRUE(WaitFor([&] { return got.Count("chat:drain") == 3; }, absl::Seconds(10)));
}

// Several publishers write to several rooms while readers connect, drop and
// resume against two gateways. Every reader ends with exactly the acked
// messages of its room after its first join, in offset order, once each.
TEST_F(DeliveryTest, RandomizedResumeAcrossGatewaysIsExactlyOnceInOrder) {
  const uint32_t seed = std::random_device()();
  SCOPED_TRACE(absl::StrCat("seed ", seed, " (rerun with this seed to reproduce)"));
  std::printf("RandomizedResume seed %u\n", seed);
  std::mt19937 rng(seed);
  // The publishers here are test drivers, not clients to rate-limit.
  StartAll({"--publish_rate=100000", "--publish_burst=100000"});
  const std::vector<std::string> rooms = {"chat:r0", "chat:r1", "chat:r2"};
  std::vector<std::unique_ptr<Client>> pubs;
  pubs.push_back(Connected(*gw_a_, "p0"));
  pubs.push_back(Connected(*gw_b_, "p1"));

  // Offsets delivered to one reader across its sessions (written on the
  // client's I/O thread, read here).
  struct Offsets {
    absl::Mutex mu;
    std::vector<uint64_t> v ABSL_GUARDED_BY(mu);
    std::vector<uint64_t> Get() {
      absl::MutexLock lock(&mu);
      return v;
    }
  };
  struct Reader {
    std::string room;
    std::unique_ptr<Client> client;
    std::shared_ptr<Offsets> offsets = std::make_shared<Offsets>();
    uint64_t first_offset = 0;  // Joined.offset of the first join
  };
  std::vector<Reader> readers(4);
  auto capture = [](Reader& r) {
    std::shared_ptr<Offsets> offsets = r.offsets;
    r.client->OnMessage([offsets](const cv1::Message& m) {
      absl::MutexLock lock(&offsets->mu);
      offsets->v.push_back(m.offset());
    });
  };
  for (size_t i = 0; i < readers.size(); ++i) {
    Reader& r = readers[i];
    r.room = rooms[i % rooms.size()];
    r.client = Connected(i % 2 ? *gw_b_ : *gw_a_, absl::StrCat("reader", i));
    capture(r);
    auto joined = r.client->Join(r.room);
    ASSERT_TRUE(joined.ok());
    r.first_offset = joined->offset();
  }
  std::map<std::string, std::vector<uint64_t>> acked;
  for (int step = 0; step < 120; ++step) {
    const std::string& room = rooms[rng() % rooms.size()];
    auto ack = pubs[rng() % pubs.size()]->Publish(room, TextPayload(absl::StrCat(step)), absl::StrCat("s", step));
    ASSERT_TRUE(ack.ok()) << ack.status();
    acked[room].push_back(ack->offset());
    if (rng() % 10 == 0) {
      // A reader drops and later resumes, on a random gateway, from its last offset.
      Reader& r = readers[rng() % readers.size()];
      const std::vector<uint64_t> seen = r.offsets->Get();
      const uint64_t last = seen.empty() ? r.first_offset : seen.back();
      r.client->OnMessage(nullptr);
      r.client.reset();
      for (int k = 0; k < 3; ++k) {
        auto more = pubs[0]->Publish(r.room, TextPayload("gap"), absl::StrCat("g", step, "-", k));
        ASSERT_TRUE(more.ok());
        acked[r.room].push_back(more->offset());
      }
      r.client = Connected(rng() % 2 ? *gw_b_ : *gw_a_, "resumer");
      capture(r);
      switchboard::client::JoinOptions from;
      from.since_offset = last;
      auto joined = r.client->Join(r.room, from);
      ASSERT_TRUE(joined.ok());
      EXPECT_TRUE(joined->recovered());
    }
  }
  for (Reader& r : readers) {
    std::vector<uint64_t> expected;
    for (uint64_t o : acked[r.room]) {
      if (o > r.first_offset) expected.push_back(o);
    }
    ASSERT_TRUE(WaitFor([&] { return r.offsets->Get().size() >= expected.size(); },
                        absl::Seconds(20)))
        << r.room << " got " << r.offsets->Get().size() << " of " << expected.size();
    r.client->OnMessage(nullptr);
    EXPECT_EQ(r.offsets->Get(), expected) << r.room;
  }
}

}  // namespace
}  // namespace switchboard
