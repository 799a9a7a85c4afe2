// Bans that hold: KickUser with ban_for stores the ban in NATS (the bans KV
// bucket), so it is refused by every gateway, including one started after the
// kick, one restarted under the same id, and one that was cut off from NATS
// when the kick was sent. Against real gateway and control processes.
#include <memory>
#include <optional>
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
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
namespace ctl = switchboard::control::v1;
using switchboard::client::Client;
using testing::ControlProcess;
using testing::GatewayProcess;
using testing::WaitFor;

class BanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    auto control = ControlProcess::Start(nats_->url(), "control-bans");
    ASSERT_TRUE(control.ok()) << control.status();
    control_ = std::move(*control);
    auto gw = GatewayProcess::Start(nats_->url(), "gw-a", {"--heartbeat_interval=250ms"});
    ASSERT_TRUE(gw.ok()) << gw.status();
    gw_a_ = std::move(*gw);
    WaitUntilControlKnows("gw-a");
  }

  // Kicks reach the gateways the control plane knows of.
  void WaitUntilControlKnows(const std::string& gateway_id) {
    ASSERT_TRUE(WaitFor(
        [&] {
          ctl::GetInfoResponse info;
          auto stub = control_->NewStub();
          if (!stub->GetInfo(ControlProcess::Context(absl::Seconds(5)).get(), ctl::GetInfoRequest(),
                             &info)
                   .ok()) {
            return false;
          }
          for (const auto& g : info.gateways()) {
            if (g.gateway_id() == gateway_id) return true;
          }
          return false;
        },
        absl::Seconds(10)))
        << "the control plane never heard of " << gateway_id;
  }

  grpc::Status Kick(const std::string& user, const std::string& reason,
                    std::optional<absl::Duration> ban_for, ctl::KickUserResponse* response) {
    ctl::KickUserRequest request;
    request.set_user_id(user);
    request.set_reason(reason);
    if (ban_for) {
      request.mutable_ban_for()->set_seconds(absl::ToInt64Seconds(*ban_for));
    }
    return control_->NewStub()->KickUser(ControlProcess::Context().get(), request, response);
  }

  std::unique_ptr<Client> Connected(GatewayProcess& gw, const std::string& user) {
    auto client = std::make_unique<Client>(gw.ClientOptionsFor(GatewayProcess::Token(user)));
    absl::StatusOr<cv1::Welcome> welcome = client->Connect();
    EXPECT_TRUE(welcome.ok()) << user << ": " << welcome.status();
    return client;
  }

  // Expects `user`'s connection to `gw` to be refused as banned, naming
  // `reason`, with close code 4006.
  void ExpectRefused(GatewayProcess& gw, const std::string& user, const std::string& reason) {
    Client client(gw.ClientOptionsFor(GatewayProcess::Token(user)));
    absl::StatusOr<cv1::Welcome> welcome = client.Connect();
    ASSERT_FALSE(welcome.ok()) << user << " was let in";
    EXPECT_EQ(welcome.status().code(), absl::StatusCode::kPermissionDenied) << welcome.status();
    EXPECT_TRUE(absl::StrContains(welcome.status().message(), "banned until"))
        << welcome.status();
    EXPECT_TRUE(absl::StrContains(welcome.status().message(), reason)) << welcome.status();
    std::optional<switchboard::client::CloseInfo> closed = client.WaitForClose(absl::Seconds(10));
    ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->code, cv1::CLOSE_CODE_KICKED);
    EXPECT_TRUE(absl::StrContains(closed->reason, reason)) << closed->reason;
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<ControlProcess> control_;
  std::unique_ptr<GatewayProcess> gw_a_;
};

TEST_F(BanTest, ABanHoldsOnAGatewayStartedAfterItAndOnOneRestartedUnderTheSameId) {
  auto alice = Connected(*gw_a_, "alice");
  ctl::KickUserResponse response;
  grpc::Status status = Kick("alice", "spamming", absl::Hours(1), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.connections_closed(), 1u);
  std::optional<switchboard::client::CloseInfo> closed = alice->WaitForClose(absl::Seconds(10));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_KICKED);
  EXPECT_EQ(closed->reason, "spamming");
  ExpectRefused(*gw_a_, "alice", "spamming");

  // A gateway that did not exist at the kick.
  auto gw_b = GatewayProcess::Start(nats_->url(), "gw-b", {"--heartbeat_interval=250ms"});
  ASSERT_TRUE(gw_b.ok()) << gw_b.status();
  ExpectRefused(**gw_b, "alice", "spamming");
  Connected(**gw_b, "bob");  // others are let in

  // The first gateway after a crash, under the same id.
  gw_a_->Kill();
  ASSERT_TRUE(gw_a_->Restart().ok());
  ExpectRefused(*gw_a_, "alice", "spamming");
  Connected(*gw_a_, "bob");
}

TEST_F(BanTest, AnOfflineUserCanBeBannedAndAShortBanEnds) {
  ctl::KickUserResponse response;
  grpc::Status status = Kick("carol", "cool off", absl::Seconds(3), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.connections_closed(), 0u);
  ExpectRefused(*gw_a_, "carol", "cool off");
  // Once the ban is over, carol gets in again.
  EXPECT_TRUE(WaitFor(
      [&] {
        Client client(gw_a_->ClientOptionsFor(GatewayProcess::Token("carol")));
        return client.Connect().ok();
      },
      absl::Seconds(15)));
}

TEST_F(BanTest, AGatewayCutOffFromNatsAtTheKickClosesTheUserOnceBack) {
  auto proxy = testing::TcpProxy::Start(nats_->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto gw_cut = GatewayProcess::Start(absl::StrCat("nats://127.0.0.1:", (*proxy)->port()),
                                      "gw-cut", {"--heartbeat_interval=250ms"});
  ASSERT_TRUE(gw_cut.ok()) << gw_cut.status();
  WaitUntilControlKnows("gw-cut");
  auto dave = Connected(**gw_cut, "dave");

  (*proxy)->Cut();
  ASSERT_TRUE(WaitFor([&] { return (*gw_cut)->Metric("switchboard_nats_connected") == 0; },
                      absl::Seconds(10)));
  ctl::KickUserResponse response;
  grpc::Status status = Kick("dave", "abuse", absl::Hours(1), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.connections_closed(), 0u);  // the only connection is out of reach
  EXPECT_TRUE(dave->Ping().ok());

  (*proxy)->Restore();
  std::optional<switchboard::client::CloseInfo> closed = dave->WaitForClose(absl::Seconds(20));
  ASSERT_TRUE(closed.has_value()) << "the banned user stayed connected after the gateway was back";
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_KICKED);
  EXPECT_EQ(closed->reason, "abuse");
  ExpectRefused(**gw_cut, "dave", "abuse");
}

TEST_F(BanTest, BanForOutOfRangeIsRefused) {
  auto call = [&](int64_t seconds, int32_t nanos) {
    ctl::KickUserRequest request;
    request.set_user_id("erin");
    request.mutable_ban_for()->set_seconds(seconds);
    request.mutable_ban_for()->set_nanos(nanos);
    ctl::KickUserResponse response;
    return control_->NewStub()->KickUser(ControlProcess::Context().get(), request, &response);
  };
  for (auto [seconds, nanos] : std::vector<std::pair<int64_t, int32_t>>{
           {-1, 0}, {0, -5}, {1, 1000000000}, {367 * 86400, 0}, {int64_t{1} << 62, 0},
           {INT64_MAX, 999999999}}) {
    grpc::Status status = call(seconds, nanos);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << seconds << "s " << nanos << "ns: " << status.error_message();
  }
  EXPECT_TRUE(call(366 * 86400, 0).ok());
}

}  // namespace
}  // namespace switchboard
