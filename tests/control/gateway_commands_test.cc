// The control RPCs that act on gateways, over real gRPC and a real
// nats-server, against FakeGateway test doubles of the bus contract.
#include "control/gateway_commands.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/control/control_test_base.h"
#include "tests/control/fake_gateway.h"
#include "tests/testing/wait.h"

namespace switchboard::control::testing {
namespace {

namespace v1 = switchboard::control::v1;
using ::switchboard::testing::WaitFor;

constexpr absl::Duration kHeartbeat = absl::Milliseconds(200);

class GatewayCommandsTest : public ControlTestBase {
 protected:
  void SetUp() override {
    StartAll();
    gw1_ = StartGateway("gw-1");
    gw2_ = StartGateway("gw-2");
    ASSERT_TRUE(WaitForLiveGateways(2));
  }

  void TearDown() override {
    gw1_.reset();
    gw2_.reset();
    ControlTestBase::TearDown();
  }

  std::unique_ptr<FakeGateway> StartGateway(const std::string& id) {
    auto gw = FakeGateway::Start(nats_->url(), "sb", id, kHeartbeat);
    EXPECT_TRUE(gw.ok()) << gw.status();
    return gw.ok() ? std::move(*gw) : nullptr;
  }

  // Until the directory knows a gateway, commands do not wait for it.
  bool WaitForLiveGateways(size_t n) {
    return WaitFor([&] { return server_->directory().LiveIds(absl::Now()).size() == n; },
                   absl::Seconds(10));
  }

  std::unique_ptr<FakeGateway> gw1_;
  std::unique_ptr<FakeGateway> gw2_;
};

TEST_F(GatewayCommandsTest, KickSumsClosedConnectionsAcrossGateways) {
  gw1_->AddConnection({"alice", "c1", {"lobby"}});
  gw1_->AddConnection({"alice", "c2", {}});
  gw1_->AddConnection({"bob", "c3", {"lobby"}});
  gw2_->AddConnection({"alice", "c4", {"lobby"}});

  v1::KickUserRequest request;
  request.set_user_id("alice");
  request.set_reason("abuse");
  request.mutable_ban_for()->set_seconds(600);
  v1::KickUserResponse response;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(stub().KickUser(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.connections_closed(), 3u);
  // Every live gateway answered: no waiting for the command timeout.
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(gw1_->connections().size(), 1u);
  EXPECT_TRUE(gw2_->connections().empty());

  const auto commands = gw2_->commands();
  ASSERT_FALSE(commands.empty());
  const auto& kick = commands.back().kick();
  EXPECT_EQ(kick.user_id(), "alice");
  EXPECT_EQ(kick.reason(), "abuse");
  EXPECT_NEAR(kick.ban_until().seconds(), absl::ToUnixSeconds(start) + 600, 5);

  response.Clear();
  ASSERT_TRUE(stub().KickUser(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.connections_closed(), 0u);
}

TEST_F(GatewayCommandsTest, DisconnectFindsTheConnectionOrIsNotFound) {
  gw2_->AddConnection({"carol", "conn-9", {}});
  v1::DisconnectRequest request;
  request.set_connection_id("conn-9");
  request.set_reconnect(true);
  v1::DisconnectResponse response;
  ASSERT_TRUE(stub().Disconnect(Ctx().get(), request, &response).ok());
  EXPECT_TRUE(gw2_->commands().back().disconnect().reconnect());

  grpc::Status again = stub().Disconnect(Ctx().get(), request, &response);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(again.error_message(), "conn-9"));
}

TEST_F(GatewayCommandsTest, SubscribeAndUnsubscribeCountConnections) {
  gw1_->AddConnection({"dave", "d1", {}});
  gw2_->AddConnection({"dave", "d2", {}});
  gw2_->AddConnection({"erin", "e1", {}});

  v1::SubscribeRequest subscribe;
  subscribe.set_user_id("dave");
  subscribe.set_room("support-42");
  subscribe.set_since_offset(7);
  v1::SubscribeResponse subscribed;
  ASSERT_TRUE(stub().Subscribe(Ctx().get(), subscribe, &subscribed).ok());
  EXPECT_EQ(subscribed.connections(), 2u);
  EXPECT_EQ(gw1_->commands().back().subscribe().since_offset(), 7u);

  v1::UnsubscribeRequest unsubscribe;
  unsubscribe.set_user_id("dave");
  unsubscribe.set_room("support-42");
  unsubscribe.set_reason("ticket closed");
  v1::UnsubscribeResponse unsubscribed;
  ASSERT_TRUE(stub().Unsubscribe(Ctx().get(), unsubscribe, &unsubscribed).ok());
  EXPECT_EQ(unsubscribed.connections(), 2u);

  subscribe.set_room("bad.room");
  EXPECT_EQ(stub().Subscribe(Ctx().get(), subscribe, &subscribed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GatewayCommandsTest, PresenceIsMergedSortedAndPaged) {
  // 7 connections of 5 users over two gateways; one outside the room.
  gw1_->AddConnection({"mallory", "m1", {"hall"}});
  gw1_->AddConnection({"alice", "a2", {"hall"}});
  gw2_->AddConnection({"alice", "a1", {"hall"}});
  gw2_->AddConnection({"bob", "b1", {"hall"}});
  gw1_->AddConnection({"carol", "c1", {"hall"}});
  gw2_->AddConnection({"dave", "d1", {"hall"}});
  gw2_->AddConnection({"zed", "z1", {"elsewhere"}});

  v1::GetPresenceRequest request;
  request.set_room("hall");
  request.set_page_size(2);
  std::vector<std::string> keys;
  std::set<std::string> gateways;
  int pages = 0;
  while (true) {
    v1::GetPresenceResponse response;
    ASSERT_TRUE(stub().GetPresence(Ctx().get(), request, &response).ok());
    ++pages;
    EXPECT_LE(response.members_size(), 2);
    for (const auto& m : response.members()) {
      keys.push_back(absl::StrCat(m.info().user_id(), "/", m.info().connection_id()));
      gateways.insert(m.gateway_id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
    ASSERT_LT(pages, 10) << "paging does not end";
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(keys, (std::vector<std::string>{"alice/a1", "alice/a2", "bob/b1", "carol/c1", "dave/d1",
                                            "mallory/m1"}));
  EXPECT_EQ(gateways, (std::set<std::string>{"gw-1", "gw-2"}));

  request.set_page_token("not-a-token");
  v1::GetPresenceResponse response;
  EXPECT_EQ(stub().GetPresence(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GatewayCommandsTest, PresenceStatsCountDistinctUsersAcrossGateways) {
  gw1_->AddConnection({"alice", "a1", {"hall"}});
  gw1_->AddConnection({"alice", "a2", {"hall"}});
  gw2_->AddConnection({"alice", "a3", {"hall"}});
  gw2_->AddConnection({"bob", "b1", {"hall"}});
  gw2_->AddConnection({"carol", "c1", {"other"}});
  v1::GetPresenceStatsRequest request;
  request.set_room("hall");
  v1::GetPresenceStatsResponse response;
  ASSERT_TRUE(stub().GetPresenceStats(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.connections(), 4u);
  EXPECT_EQ(response.users(), 2u);
  EXPECT_TRUE(gw1_->commands().back().presence_survey().counts_only());
}

TEST_F(GatewayCommandsTest, InfoListsLiveGatewaysAndDropsDeadOnes) {
  gw1_->AddConnection({"alice", "a1", {"r1", "r2"}});
  gw2_->AddConnection({"bob", "b1", {"r1"}});
  v1::GetInfoResponse info;
  ASSERT_TRUE(stub().GetInfo(Ctx().get(), v1::GetInfoRequest(), &info).ok());
  ASSERT_EQ(info.gateways_size(), 2);
  EXPECT_EQ(info.gateways(0).gateway_id(), "gw-1");
  EXPECT_EQ(info.gateways(0).connections(), 1u);
  EXPECT_EQ(info.gateways(0).rooms(), 2u);
  EXPECT_EQ(info.gateways(0).version(), "fake");
  EXPECT_GT(info.gateways(0).started_at().seconds(), 0);
  EXPECT_EQ(info.connections(), 2u);
  EXPECT_EQ(info.rooms(), 3u);

  // gw-2 hangs: no heartbeats, no answers. After 3 missed beats it is dead and
  // commands stop waiting for it.
  gw2_->StopHeartbeats();
  gw2_->SetSilent(true);
  ASSERT_TRUE(WaitForLiveGateways(1));
  v1::KickUserRequest kick;
  kick.set_user_id("alice");
  v1::KickUserResponse kicked;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(stub().KickUser(Ctx().get(), kick, &kicked).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(kicked.connections_closed(), 1u);
}

TEST_F(GatewayCommandsTest, AHungLiveGatewayYieldsAPartialAnswerAtTheDeadline) {
  gw1_->AddConnection({"alice", "a1", {}});
  gw2_->AddConnection({"alice", "a2", {}});
  gw2_->SetSilent(true);  // still heartbeating: live but not answering
  v1::KickUserRequest request;
  request.set_user_id("alice");
  v1::KickUserResponse response;
  absl::Time start = absl::Now();
  // The RPC deadline (1.5 s) is shorter than the command timeout (2 s) and
  // wins: the partial answer comes back before it.
  ASSERT_TRUE(stub().KickUser(Ctx(absl::Milliseconds(1500)).get(), request, &response).ok());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
  EXPECT_EQ(response.connections_closed(), 1u);

  // Nobody answers: DEADLINE_EXCEEDED after the command timeout.
  gw1_->SetSilent(true);
  start = absl::Now();
  EXPECT_EQ(stub().KickUser(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1900));  // waits in whole ms
}

TEST_F(GatewayCommandsTest, GatewayErrorsFailTheCallOnlyWhenNoGatewaySucceeded) {
  gw1_->AddConnection({"alice", "a1", {}});
  gw2_->SetError("overloaded");
  v1::KickUserRequest request;
  request.set_user_id("alice");
  v1::KickUserResponse response;
  ASSERT_TRUE(stub().KickUser(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.connections_closed(), 1u);
  gw1_->SetError("overloaded");
  grpc::Status status = stub().KickUser(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "overloaded"));
}

// Without any gateway subscribed NATS says "no responders": commands answer
// at once instead of waiting for the timeout.
class NoGatewayTest : public ControlTestBase {};

TEST_F(NoGatewayTest, CommandsAnswerAtOnceWhenNoGatewayListens) {
  StartAll();
  v1::KickUserRequest request;
  request.set_user_id("alice");
  v1::KickUserResponse response;
  const absl::Time start = absl::Now();
  EXPECT_EQ(stub().KickUser(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::DisconnectRequest disconnect;
  disconnect.set_connection_id("c-1");
  v1::DisconnectResponse disconnected;
  EXPECT_EQ(stub().Disconnect(Ctx().get(), disconnect, &disconnected).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetInfoResponse info;
  ASSERT_TRUE(stub().GetInfo(Ctx().get(), v1::GetInfoRequest(), &info).ok());
  EXPECT_EQ(info.gateways_size(), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

}  // namespace
}  // namespace switchboard::control::testing
