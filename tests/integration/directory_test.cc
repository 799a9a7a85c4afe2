// Answers gathered from every gateway are never silently partial: the
// directory of live gateways lives in NATS (KV bucket SB_GATEWAYS), so a
// control plane or a gateway that started a moment ago waits for every live
// gateway, not only those whose heartbeat it happened to hear already. Real
// gateway and control processes; each probe runs right after the restart,
// when heartbeats alone would not have told the process about the others.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/client.h"
#include "gtest/gtest.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/integration/control_process.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
namespace ctl = switchboard::control::v1;
using switchboard::client::Client;
using switchboard::client::JoinOptions;
using testing::ControlProcess;
using testing::GatewayProcess;
using testing::WaitFor;

constexpr char kRoom[] = "dir:room";
// Long beats: heartbeats alone would leave a fresh process blind for 5 s.
const std::vector<std::string> kGatewayFlags = {"--heartbeat_interval=5s"};

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    for (const char* id : {"gw-a", "gw-b"}) {
      auto gw = GatewayProcess::Start(nats_->url(), id, kGatewayFlags);
      ASSERT_TRUE(gw.ok()) << gw.status();
      gateways_.push_back(std::move(*gw));
    }
    // One member of the room on each gateway.
    for (size_t i = 0; i < gateways_.size(); ++i) {
      auto member = std::make_unique<Client>(
          gateways_[i]->ClientOptionsFor(GatewayProcess::Token(absl::StrCat("member-", i))));
      ASSERT_TRUE(member->Connect().ok());
      JoinOptions join;
      join.presence = true;
      ASSERT_TRUE(member->Join(kRoom, join).ok());
      members_.push_back(std::move(member));
    }
    auto control = ControlProcess::Start(nats_->url(), "control-dir");
    ASSERT_TRUE(control.ok()) << control.status();
    control_ = std::move(*control);
  }

  int PresenceConnections(ctl::ControlService::Stub& stub) {
    ctl::GetPresenceRequest request;
    request.set_room(kRoom);
    ctl::GetPresenceResponse response;
    grpc::Status status = stub.GetPresence(ControlProcess::Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.members_size();
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::vector<std::unique_ptr<GatewayProcess>> gateways_;
  std::vector<std::unique_ptr<Client>> members_;
  std::unique_ptr<ControlProcess> control_;
};

TEST_F(DirectoryTest, AJustRestartedControlPlaneWaitsForEveryGateway) {
  for (int round = 0; round < 3; ++round) {
    control_->Kill();
    ASSERT_TRUE(control_->Restart().ok());  // returns once /readyz answers
    auto stub = control_->NewStub();
    // Every answer from the first moment on has both gateways' members.
    for (int poll = 0; poll < 20; ++poll) {
      ASSERT_EQ(PresenceConnections(*stub), 2) << "round " << round << ", poll " << poll;
    }
    ctl::SubscribeRequest subscribe;
    subscribe.set_user_id("member-1");
    subscribe.set_room(absl::StrCat("dir:server-side-", round));
    ctl::SubscribeResponse subscribed;
    control_->Kill();
    ASSERT_TRUE(control_->Restart().ok());
    stub = control_->NewStub();
    grpc::Status status =
        stub->Subscribe(ControlProcess::Context().get(), subscribe, &subscribed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(subscribed.connections(), 1u) << "round " << round;
  }
}

TEST_F(DirectoryTest, AJustStartedGatewayAnswersPresenceForTheWholeCluster) {
  auto gw_c = GatewayProcess::Start(nats_->url(), "gw-c", kGatewayFlags);  // once ready
  ASSERT_TRUE(gw_c.ok()) << gw_c.status();
  Client asker((*gw_c)->ClientOptionsFor(GatewayProcess::Token("asker")));
  ASSERT_TRUE(asker.Connect().ok());
  JoinOptions join;
  join.presence = true;
  ASSERT_TRUE(asker.Join(kRoom, join).ok());
  cv1::ClientFrame query;
  query.mutable_presence_query()->set_room(kRoom);
  absl::StatusOr<cv1::ServerFrame> snapshot = asker.Request(query);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  // The members on gw-a and gw-b, and the asker itself.
  EXPECT_EQ(snapshot->presence_snapshot().connections(), 3u);
}

TEST_F(DirectoryTest, AGatewayStoppedOnPurposeIsNotWaitedFor) {
  // gw-b drains and exits: it removes itself from the directory, so a fresh
  // control plane answers at once with gw-a's member only (no deadline wait).
  ASSERT_TRUE(gateways_[1]->process().Stop(absl::Seconds(30)).ok());
  control_->Kill();
  ASSERT_TRUE(control_->Restart().ok());
  auto stub = control_->NewStub();
  EXPECT_EQ(PresenceConnections(*stub), 1);
  // Waiting for a gone gateway would end in "partial answer: gateways gw-b
  // did not answer in time".
  EXPECT_FALSE(absl::StrContains(control_->process().Log(), "partial answer"))
      << control_->process().Log();
}

}  // namespace
}  // namespace switchboard
