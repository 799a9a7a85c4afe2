// sbctl's commands (the library behind tools/sbctl) against a real control
// server, nats-server and a FakeGateway.
#include "tools/sbctl/sbctl.h"

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/control/control_test_base.h"
#include "tests/control/fake_gateway.h"
#include "tests/testing/wait.h"

namespace switchboard::control::testing {
namespace {

using switchboard::sbctl::Sbctl;
using switchboard::sbctl::SbctlOptions;

class SbctlTest : public ControlTestBase {
 protected:
  void SetUp() override {
    StartAll();
    auto gw = FakeGateway::Start(nats_->url(), "sb", "gw-1", absl::Milliseconds(200));
    ASSERT_TRUE(gw.ok()) << gw.status();
    gw_ = std::move(*gw);
    gw_->AddConnection({"alice", "conn-a", {"lobby"}});
    gw_->AddConnection({"bob", "conn-b", {"lobby"}});
    ASSERT_TRUE(switchboard::testing::WaitFor(
        [&] { return server_->directory().LiveIds(absl::Now()).size() == 1; }, absl::Seconds(10)));
  }
  void TearDown() override {
    gw_.reset();
    ControlTestBase::TearDown();
  }

  // Runs one sbctl command line; returns its exit code.
  int Run(std::vector<std::string> args, SbctlOptions options = {}) {
    out_.str("");
    err_.str("");
    options.addr = absl::StrCat("127.0.0.1:", server_->grpc_port());
    auto channel = Sbctl::MakeChannel(options);
    EXPECT_TRUE(channel.ok()) << channel.status();
    Sbctl sbctl(options, *channel, out_, err_);
    return sbctl.Run(args);
  }

  std::unique_ptr<FakeGateway> gw_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(SbctlTest, PublishThenHistory) {
  ASSERT_EQ(Run({"publish", "lobby", "hello there"}), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "stored in lobby at offset 1")) << out_.str();

  SbctlOptions json_payload;
  json_payload.json_payload = true;
  json_payload.message_id = "m-2";
  ASSERT_EQ(Run({"publish", "lobby", R"({"n": 2})"}, json_payload), 0) << err_.str();
  ASSERT_EQ(Run({"publish", "lobby", R"({"n": 2})"}, json_payload), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "duplicate")) << out_.str();

  ASSERT_EQ(Run({"history", "lobby"}), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "hello there")) << out_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "{\"n\":2}")) << out_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "control plane")) << out_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "2 messages")) << out_.str();

  SbctlOptions latest;
  latest.latest = 1;
  latest.json = true;
  ASSERT_EQ(Run({"history", "lobby"}, latest), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "\"messageId\":\"m-2\"")) << out_.str();
  EXPECT_FALSE(absl::StrContains(out_.str(), "hello there")) << out_.str();
}

TEST_F(SbctlTest, GatewayCommands) {
  ASSERT_EQ(Run({"info"}), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "gw-1")) << out_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "1 gateways, 2 connections")) << out_.str();

  ASSERT_EQ(Run({"presence", "lobby"}), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "alice")) << out_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "conn-b")) << out_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "2 connections")) << out_.str();

  ASSERT_EQ(Run({"stats", "lobby"}), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "users:        2")) << out_.str();

  ASSERT_EQ(Run({"subscribe", "alice", "support"}), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "joined 1 connections")) << out_.str();

  SbctlOptions kick;
  kick.reason = "spam";
  kick.ban_for = absl::Hours(1);
  ASSERT_EQ(Run({"kick", "alice"}, kick), 0) << err_.str();
  EXPECT_TRUE(absl::StrContains(out_.str(), "1 connections closed")) << out_.str();
  EXPECT_EQ(gw_->commands().back().kick().reason(), "spam");

  EXPECT_EQ(Run({"disconnect", "conn-a"}), 1);
  EXPECT_TRUE(absl::StrContains(err_.str(), "NOT_FOUND")) << err_.str();
  ASSERT_EQ(Run({"disconnect", "conn-b"}), 0) << err_.str();
}

TEST_F(SbctlTest, ErrorsAndUsage) {
  EXPECT_EQ(Run({"publish", "bad.room", "x"}), 1);
  EXPECT_TRUE(absl::StrContains(err_.str(), "INVALID_ARGUMENT")) << err_.str();
  EXPECT_EQ(Run({"publish", "only-room"}), 2);
  EXPECT_TRUE(absl::StrContains(err_.str(), "usage:")) << err_.str();
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_EQ(Run({}), 2);
  SbctlOptions bad_json;
  bad_json.json_payload = true;
  EXPECT_EQ(Run({"publish", "room", "{not json"}, bad_json), 2);
}

}  // namespace
}  // namespace switchboard::control::testing
