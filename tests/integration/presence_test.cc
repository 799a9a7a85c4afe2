// The control plane against two real gateway processes and a real
// nats-server, reached over real gRPC: publishes reaching clients on both
// gateways, presence across gateways (lists, counts, multi-tab users, events,
// a gateway killed with SIGKILL), kicks and server-side subscriptions on every
// gateway, Watch, and the refusals of bad requests.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "clients/cpp/presence_tracker.h"
#include "control/control_options.h"
#include "control/control_server.h"
#include "gtest/gtest.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/integration/gateway_process.h"
#include "tests/integration/raw_ws_client.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
namespace v1 = switchboard::control::v1;
using switchboard::client::Client;
using switchboard::client::JoinOptions;
using switchboard::client::PresenceTracker;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::WaitFor;

// Heartbeats every 250 ms: a killed gateway is declared lost after 3 missed
// ones, and peers look once per heartbeat, so its entries vanish within ~1 s.
constexpr absl::Duration kHeartbeat = absl::Milliseconds(250);
const absl::Duration kLostBound = absl::Milliseconds(4 * 250);

class PresenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    const std::vector<std::string> flags = {
        absl::StrCat("--heartbeat_interval=", absl::FormatDuration(kHeartbeat))};
    auto a = GatewayProcess::Start(nats_->url(), "gw-a", flags);
    ASSERT_TRUE(a.ok()) << a.status();
    gw_a_ = std::move(*a);
    auto b = GatewayProcess::Start(nats_->url(), "gw-b", flags);
    ASSERT_TRUE(b.ok()) << b.status();
    gw_b_ = std::move(*b);

    control::ControlOptions options;
    options.control_id = "control-test";
    options.grpc_address = "127.0.0.1:0";
    options.admin_port = 0;
    options.nats.urls = nats_->url();
    options.stream.file_storage = false;  // as the gateways (--storage=memory)
    options.command_timeout = absl::Seconds(3);
    options.rpc_threads = 4;
    auto server = control::ControlServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    control_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", control_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::ControlService::NewStub(channel_);
    // Both gateways are in the control plane's directory (from heartbeats), so
    // its surveys wait for both; the gateways heartbeat each other alike.
    ASSERT_TRUE(WaitFor([&] { return control_->directory().LiveIds(absl::Now()).size() == 2; },
                        absl::Seconds(10)));
  }

  void TearDown() override {
    stub_.reset();
    channel_.reset();
    if (control_) control_->Stop(absl::Seconds(1));
    control_.reset();
    gw_a_.reset();
    gw_b_.reset();
    nats_.reset();
  }

  std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return ctx;
  }

  v1::GetInfoResponse Info() {
    v1::GetInfoResponse response;
    auto ctx = Ctx();
    stub_->GetInfo(ctx.get(), v1::GetInfoRequest(), &response);
    return response;
  }

  v1::GetPresenceStatsResponse Stats(const std::string& room) {
    v1::GetPresenceStatsRequest request;
    request.set_room(room);
    v1::GetPresenceStatsResponse response;
    auto ctx = Ctx();
    grpc::Status status = stub_->GetPresenceStats(ctx.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<v1::PresenceMember> Presence(const std::string& room) {
    std::vector<v1::PresenceMember> out;
    v1::GetPresenceRequest request;
    request.set_room(room);
    request.set_page_size(2);  // page through, to cover paging too
    while (true) {
      v1::GetPresenceResponse response;
      auto ctx = Ctx();
      grpc::Status status = stub_->GetPresence(ctx.get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& m : response.members()) out.push_back(m);
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return out;
  }

  static std::unique_ptr<Client> Connected(GatewayProcess& gw, const std::string& user) {
    auto client = std::make_unique<Client>(gw.ClientOptionsFor(GatewayProcess::Token(user)));
    auto welcome = client->Connect();
    EXPECT_TRUE(welcome.ok()) << welcome.status();
    return client;
  }

  static JoinOptions WithPresence() {
    JoinOptions options;
    options.presence = true;
    return options;
  }

  // Feeds `observer`'s presence pushes into `tracker` until `done` holds.
  static bool Observe(Client& observer, PresenceTracker& tracker, const std::function<bool()>& done,
                      absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      if (absl::Now() > deadline) return false;
      auto push = observer.NextPush(absl::Milliseconds(50));
      if (push && push->has_presence()) tracker.Apply(push->presence());
    }
    return true;
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<GatewayProcess> gw_a_;
  std::unique_ptr<GatewayProcess> gw_b_;
  std::unique_ptr<control::ControlServer> control_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ControlService::Stub> stub_;
};

TEST_F(PresenceTest, PublishReachesClientsOnBothGateways) {
  auto on_a = Connected(*gw_a_, "ann");
  auto on_b = Connected(*gw_b_, "ben");
  ASSERT_TRUE(on_a->Join("news").ok());
  ASSERT_TRUE(on_b->Join("news").ok());
  v1::PublishRequest request;
  request.set_room("news");
  *request.mutable_payload() = TextPayload("hello both");
  v1::PublishResponse response;
  auto ctx = Ctx();
  ASSERT_TRUE(stub_->Publish(ctx.get(), request, &response).ok());
  for (Client* c : {on_a.get(), on_b.get()}) {
    auto push = c->NextPush(absl::Seconds(10));
    ASSERT_TRUE(push.has_value());
    ASSERT_TRUE(push->has_message());
    EXPECT_EQ(push->message().payload().text(), "hello both");
    EXPECT_EQ(push->message().offset(), response.offset());
  }
}

TEST_F(PresenceTest, PresenceAggregatesAcrossGatewaysThroughJoinsLeavesAndTabs) {
  const std::string room = "chat:lobby";
  JoinOptions meta_join = WithPresence();
  (*meta_join.meta.mutable_fields())["status"].set_string_value("busy");

  // The observer tracks the room from gw-a's events.
  auto observer = Connected(*gw_a_, "olga");
  ASSERT_TRUE(observer->Join(room, WithPresence()).ok());
  PresenceTracker tracker;
  ASSERT_TRUE(Observe(*observer, tracker, [&] { return tracker.IsOnline("olga"); }));

  // alice: one tab on each gateway; bob: one tab on gw-b.
  auto alice1 = Connected(*gw_a_, "alice");
  auto alice2 = Connected(*gw_b_, "alice");
  auto bob = Connected(*gw_b_, "bob");
  ASSERT_TRUE(alice1->Join(room, meta_join).ok());
  ASSERT_TRUE(alice2->Join(room).ok());
  ASSERT_TRUE(bob->Join(room).ok());
  ASSERT_TRUE(Observe(*observer, tracker, [&] { return tracker.connections() == 4; }));
  EXPECT_EQ(tracker.Users(), (std::vector<std::string>{"alice", "bob", "olga"}));
  EXPECT_EQ(tracker.ConnectionsOf("alice"), 2u);

  // The control plane sees the same, across both gateways.
  auto stats = Stats(room);
  EXPECT_EQ(stats.connections(), 4u);
  EXPECT_EQ(stats.users(), 3u);
  auto members = Presence(room);
  ASSERT_EQ(members.size(), 4u);
  int on_b = 0;
  bool saw_meta = false;
  for (const auto& m : members) {
    if (m.gateway_id() == "gw-b") ++on_b;
    EXPECT_EQ(m.info().gateway_id(), m.gateway_id());
    EXPECT_TRUE(m.info().has_joined_at());
    if (m.info().meta().fields().count("status")) {
      EXPECT_EQ(m.info().user_id(), "alice");
      EXPECT_EQ(m.info().meta().fields().at("status").string_value(), "busy");
      saw_meta = true;
    }
  }
  EXPECT_EQ(on_b, 2);
  EXPECT_TRUE(saw_meta);

  // A client's own PresenceQuery answers for the whole cluster too.
  cv1::ClientFrame query;
  query.mutable_presence_query()->set_room(room);
  absl::StatusOr<cv1::ServerFrame> snapshot;
  // (Until gw-b has heard gw-a's first heartbeat its survey may miss gw-a.)
  ASSERT_TRUE(WaitFor([&] {
    snapshot = bob->Request(query);
    return snapshot.ok() && snapshot->presence_snapshot().connections() == 4;
  }, absl::Seconds(10))) << snapshot.status();
  EXPECT_EQ(snapshot->presence_snapshot().users(), 3u);
  EXPECT_EQ(snapshot->presence_snapshot().members_size(), 4);

  // alice closes one tab: still online, one connection fewer.
  alice1->Close();
  ASSERT_TRUE(Observe(*observer, tracker, [&] { return tracker.connections() == 3; }));
  EXPECT_TRUE(tracker.IsOnline("alice"));
  stats = Stats(room);
  EXPECT_EQ(stats.connections(), 3u);
  EXPECT_EQ(stats.users(), 3u);
  // bob leaves the room (but stays connected), then alice's last tab closes.
  ASSERT_TRUE(bob->Leave(room).ok());
  alice2->Close();
  ASSERT_TRUE(Observe(*observer, tracker, [&] { return tracker.connections() == 1; }));
  EXPECT_EQ(tracker.Users(), (std::vector<std::string>{"olga"}));
  stats = Stats(room);
  EXPECT_EQ(stats.connections(), 1u);
  EXPECT_EQ(stats.users(), 1u);
}

TEST_F(PresenceTest, AKilledGatewaysMembersVanishWithinTheBound) {
  const std::string room = "chat:crash";
  auto observer = Connected(*gw_a_, "olga");
  ASSERT_TRUE(observer->Join(room, WithPresence()).ok());
  auto doomed1 = Connected(*gw_b_, "dan");
  auto doomed2 = Connected(*gw_b_, "dora");
  ASSERT_TRUE(doomed1->Join(room).ok());
  ASSERT_TRUE(doomed2->Join(room).ok());
  PresenceTracker tracker;
  ASSERT_TRUE(Observe(*observer, tracker, [&] { return tracker.connections() == 3; }));
  ASSERT_EQ(Stats(room).connections(), 3u);

  const absl::Time killed_at = absl::Now();
  gw_b_->Kill();
  // The observer is told (no LEAVE can come from a dead gateway) within the
  // documented bound (docs/operations.md: 3 missed heartbeats plus at most
  // one more interval), plus one heartbeat of the observer's own and 750 ms of
  // scheduling slack for a shared 2-core machine running tests in parallel.
  const absl::Duration deadline = kLostBound + kHeartbeat + absl::Milliseconds(750);
  ASSERT_TRUE(Observe(*observer, tracker, [&] { return tracker.connections() == 1; }, deadline))
      << "members of a killed gateway still listed after " << absl::FormatDuration(deadline);
  const absl::Duration took = absl::Now() - killed_at;
  std::printf("gateway lost after %s (bound %s + one heartbeat)\n",
              absl::FormatDuration(took).c_str(), absl::FormatDuration(kLostBound).c_str());
  EXPECT_FALSE(tracker.IsOnline("dan"));
  EXPECT_FALSE(tracker.IsOnline("dora"));
  // ... and the control plane lists only gw-a's members.
  auto members = Presence(room);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].info().user_id(), "olga");
  EXPECT_TRUE(WaitFor([&] { return Info().gateways_size() == 1; }, absl::Seconds(10)));
}

TEST_F(PresenceTest, ReconnectsWithinTheLeaveDelayDoNotFlap) {
  // A third gateway with a leave delay: a tab that reconnects (here: to the
  // other gateway) joins before its old connection is announced as gone.
  auto gw_c = GatewayProcess::Start(
      nats_->url(), "gw-c",
      {absl::StrCat("--heartbeat_interval=", absl::FormatDuration(kHeartbeat)),
       "--presence_leave_delay=2s"});
  ASSERT_TRUE(gw_c.ok()) << gw_c.status();
  const std::string room = "chat:flap";
  auto observer = Connected(*gw_a_, "olga");
  ASSERT_TRUE(observer->Join(room, WithPresence()).ok());
  auto tab = Connected(**gw_c, "fred");
  ASSERT_TRUE(tab->Join(room).ok());
  PresenceTracker tracker;
  std::vector<PresenceTracker::Change> fred_changes;
  auto observe = [&](const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!done() && absl::Now() < deadline) {
      auto push = observer->NextPush(absl::Milliseconds(50));
      if (!push || !push->has_presence()) continue;
      for (const auto& c : tracker.Apply(push->presence())) {
        if (c.user_id == "fred") fred_changes.push_back(c);
      }
    }
    return done();
  };
  ASSERT_TRUE(observe([&] { return tracker.IsOnline("fred"); }));
  const std::string old_connection = [&] {
    for (const auto& m : Presence(room)) {
      if (m.info().user_id() == "fred") return m.info().connection_id();
    }
    return std::string();
  }();
  ASSERT_FALSE(old_connection.empty());

  tab->Close();
  // Until its departure is announced, the old connection still counts.
  EXPECT_EQ(Stats(room).connections(), 2u);
  auto again = Connected(*gw_a_, "fred");
  ASSERT_TRUE(again->Join(room).ok());
  // Both connections, then only the new one: fred never went offline.
  ASSERT_TRUE(observe([&] { return tracker.ConnectionsOf("fred") == 2; }));
  ASSERT_TRUE(observe([&] { return tracker.ConnectionsOf("fred") == 1; }));
  ASSERT_EQ(fred_changes.size(), 1u);
  EXPECT_EQ(fred_changes[0].kind, PresenceTracker::Change::Kind::kOnline);
  for (const auto& m : Presence(room)) EXPECT_NE(m.info().connection_id(), old_connection);
}

TEST_F(PresenceTest, KickClosesEveryConnectionOfTheUserOnEveryGateway) {
  auto a = Connected(*gw_a_, "mallory");
  auto b1 = Connected(*gw_b_, "mallory");
  auto b2 = Connected(*gw_b_, "mallory");
  auto bystander = Connected(*gw_b_, "bystander");
  v1::KickUserRequest request;
  request.set_user_id("mallory");
  request.set_reason("spam");
  v1::KickUserResponse response;
  auto ctx = Ctx();
  grpc::Status status = stub_->KickUser(ctx.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.connections_closed(), 3u);
  for (Client* c : {a.get(), b1.get(), b2.get()}) {
    auto closed = c->WaitForClose(absl::Seconds(10));
    ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->code, cv1::CLOSE_CODE_KICKED);
  }
  EXPECT_TRUE(bystander->Ping().ok());
  // Nobody left to kick.
  ctx = Ctx();
  status = stub_->KickUser(ctx.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

TEST_F(PresenceTest, ResumingASessionOnAnotherGatewayReplacesTheOldConnection) {
  Client old_tab(gw_a_->ClientOptionsFor(GatewayProcess::Token("rita")));
  auto welcome = old_tab.Connect();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  const std::string session_id = welcome->session_id();
  ASSERT_FALSE(session_id.empty());

  // A new connection of the same user on gw-b resumes that session (a raw
  // client, to send exactly this Connect frame).
  auto new_tab = testing::RawWsClient::Dial(gw_b_->port());
  ASSERT_TRUE(new_tab.ok()) << new_tab.status();
  auto upgraded = (*new_tab)->Upgrade("/ws", {"Sec-WebSocket-Protocol: switchboard.v1.json"});
  ASSERT_TRUE(upgraded.ok() && *upgraded == 101) << (*new_tab)->response_head();
  ASSERT_TRUE((*new_tab)
                  ->SendFrame(1, absl::StrCat(R"({"id":"1","connect":{"token":")",
                                              GatewayProcess::Token("rita"), R"(","sessionId":")",
                                              session_id, R"("}})"))
                  .ok());
  auto reply = (*new_tab)->ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_NE(reply->payload.find(session_id), std::string::npos) << reply->payload;
  auto closed = old_tab.WaitForClose(absl::Seconds(10));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_REPLACED);
}

TEST_F(PresenceTest, ServerSideSubscribeDeliversTheRoomToAConnectedClient) {
  auto client = Connected(*gw_b_, "sam");
  v1::SubscribeRequest request;
  request.set_user_id("sam");
  request.set_room("alerts");
  v1::SubscribeResponse response;
  auto ctx = Ctx();
  ASSERT_TRUE(stub_->Subscribe(ctx.get(), request, &response).ok());
  EXPECT_EQ(response.connections(), 1u);
  // Told about the join, then the room's messages arrive.
  bool joined = false;
  ASSERT_TRUE(WaitFor([&] {
    auto push = client->NextPush(absl::Milliseconds(50));
    if (push && push->has_joined() && push->joined().room() == "alerts") joined = true;
    return joined;
  }, absl::Seconds(10)));
  v1::PublishRequest publish;
  publish.set_room("alerts");
  *publish.mutable_payload() = TextPayload("server says hi");
  v1::PublishResponse ack;
  ctx = Ctx();
  ASSERT_TRUE(stub_->Publish(ctx.get(), publish, &ack).ok());
  bool got = false;
  ASSERT_TRUE(WaitFor([&] {
    auto push = client->NextPush(absl::Milliseconds(50));
    if (push && push->has_message() && push->message().payload().text() == "server says hi") got = true;
    return got;
  }, absl::Seconds(10)));
  // A user with no live connection: nothing to do, and the count says so.
  request.set_user_id("nobody");
  ctx = Ctx();
  ASSERT_TRUE(stub_->Subscribe(ctx.get(), request, &response).ok());
  EXPECT_EQ(response.connections(), 0u);
}

TEST_F(PresenceTest, WatchStreamsWhatClientsPublishAndPresence) {
  const std::string room = "chat:watched";
  v1::WatchRequest request;
  request.set_room(room);
  request.set_presence(true);
  auto ctx = Ctx(absl::Seconds(30));
  auto reader = stub_->Watch(ctx.get(), request);
  // Events are read on a thread of their own: Read blocks, and the watch may
  // subscribe after the first join below (nothing tells the caller when).
  absl::Mutex mu;
  std::vector<v1::WatchEvent> events;
  std::thread reading([&] {
    v1::WatchEvent event;
    while (reader->Read(&event)) {
      absl::MutexLock lock(&mu);
      events.push_back(event);
    }
  });
  auto seen = [&](auto match) {
    absl::MutexLock lock(&mu);
    for (const v1::WatchEvent& e : events) {
      if (match(e)) return true;
    }
    return false;
  };
  auto wendy_joined = [](const v1::WatchEvent& e) {
    return e.has_presence() && e.presence().change() == cv1::PRESENCE_CHANGE_JOIN &&
           e.presence().info().user_id() == "wendy";
  };
  // Watch is live once it has subscribed; a join's presence event shows it.
  auto writer = Connected(*gw_b_, "wendy");
  bool saw_join = false;
  for (int attempt = 0; attempt < 20 && !saw_join; ++attempt) {
    if (attempt > 0) {
      ASSERT_TRUE(writer->Leave(room).ok());
    }
    ASSERT_TRUE(writer->Join(room).ok());
    saw_join = WaitFor([&] { return seen(wendy_joined); }, absl::Milliseconds(500));
  }
  EXPECT_TRUE(saw_join);
  if (saw_join) {
    ASSERT_TRUE(writer->Publish(room, TextPayload("watch this")).ok());
    EXPECT_TRUE(WaitFor(
        [&] {
          return seen([](const v1::WatchEvent& e) {
            return e.has_message() && e.message().payload().text() == "watch this";
          });
        },
        absl::Seconds(10)));
  }
  ctx->TryCancel();
  reading.join();
  reader->Finish();
}

TEST_F(PresenceTest, BadRequestsAreRefusedWithAReason) {
  auto expect_code = [&](grpc::Status status, grpc::StatusCode code) {
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_FALSE(status.error_message().empty());
  };
  v1::PublishResponse pub_response;
  v1::PublishRequest publish;
  auto ctx = Ctx();
  expect_code(stub_->Publish(ctx.get(), publish, &pub_response), grpc::StatusCode::INVALID_ARGUMENT);
  publish.set_room("bad room.name");
  *publish.mutable_payload() = TextPayload("x");
  ctx = Ctx();
  expect_code(stub_->Publish(ctx.get(), publish, &pub_response), grpc::StatusCode::INVALID_ARGUMENT);
  publish.set_room("fine");
  *publish.mutable_payload() = TextPayload(std::string(1 << 20, 'x'));
  ctx = Ctx();
  expect_code(stub_->Publish(ctx.get(), publish, &pub_response), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetPresenceStatsRequest stats;
  stats.set_room("a.b");
  v1::GetPresenceStatsResponse stats_response;
  ctx = Ctx();
  expect_code(stub_->GetPresenceStats(ctx.get(), stats, &stats_response),
              grpc::StatusCode::INVALID_ARGUMENT);
  v1::DisconnectRequest disconnect;
  disconnect.set_connection_id("no-such-connection");
  v1::DisconnectResponse disconnect_response;
  ctx = Ctx();
  expect_code(stub_->Disconnect(ctx.get(), disconnect, &disconnect_response),
              grpc::StatusCode::NOT_FOUND);
  v1::KickUserRequest kick;
  kick.set_user_id("ghost");
  v1::KickUserResponse kick_response;
  ctx = Ctx();
  expect_code(stub_->KickUser(ctx.get(), kick, &kick_response), grpc::StatusCode::NOT_FOUND);
  // A ban on a user who is offline is fine: it refuses their next connection.
  kick.mutable_ban_for()->set_seconds(60);
  ctx = Ctx();
  EXPECT_TRUE(stub_->KickUser(ctx.get(), kick, &kick_response).ok());
  EXPECT_EQ(kick_response.connections_closed(), 0u);
}

}  // namespace
}  // namespace switchboard
