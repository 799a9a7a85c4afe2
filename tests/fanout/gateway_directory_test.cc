#include "fanout/gateway_directory.h"

#include "gtest/gtest.h"
#include "tests/control/fake_gateway.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard::fanout {
namespace {

using switchboard::bus::v1::GatewayHeartbeat;

GatewayHeartbeat Beat(const std::string& id, absl::Duration interval) {
  GatewayHeartbeat hb;
  hb.mutable_info()->set_gateway_id(id);
  hb.mutable_interval()->set_seconds(absl::ToInt64Seconds(interval));
  return hb;
}

TEST(GatewayDirectoryTest, AGatewayIsDeadAfterThreeMissedIntervals) {
  GatewayDirectory directory;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  directory.Observe(Beat("gw-b", absl::Seconds(1)), t0);
  directory.Observe(Beat("gw-a", absl::Seconds(10)), t0);
  auto live = directory.Live(t0 + absl::Seconds(3));
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].info.gateway_id(), "gw-a");  // sorted
  EXPECT_EQ(live[0].interval, absl::Seconds(10));
  EXPECT_EQ(live[0].last_seen, t0);

  // Each gateway is judged by its own interval.
  live = directory.Live(t0 + absl::Seconds(4));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].info.gateway_id(), "gw-a");
  EXPECT_TRUE(directory.LiveIds(t0 + absl::Seconds(31)).empty());

  // A heartbeat brings a dead gateway back.
  directory.Observe(Beat("gw-b", absl::Seconds(1)), t0 + absl::Seconds(40));
  EXPECT_EQ(directory.LiveIds(t0 + absl::Seconds(41)).size(), 1u);
}

TEST(GatewayDirectoryTest, MissingIntervalAndIdAreHandled) {
  GatewayDirectory directory;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  GatewayHeartbeat no_interval;
  no_interval.mutable_info()->set_gateway_id("gw");
  directory.Observe(no_interval, t0);
  EXPECT_EQ(directory.LiveIds(t0 + 3 * GatewayDirectory::kDefaultInterval).size(), 1u);
  EXPECT_TRUE(directory.LiveIds(t0 + 3 * GatewayDirectory::kDefaultInterval + absl::Seconds(1)).empty());
  directory.Observe(GatewayHeartbeat(), t0);  // no id: ignored
  EXPECT_EQ(directory.LiveIds(t0).size(), 1u);
}

TEST(GatewayDirectoryTest, LearnsGatewaysFromHeartbeatsOnNats) {
  switchboard::testing::NatsServerOptions server_options;
  server_options.jetstream = false;
  auto nats_server = switchboard::testing::NatsServer::Start(server_options);
  ASSERT_TRUE(nats_server.ok()) << nats_server.status();
  NatsConnectionOptions options;
  options.urls = (*nats_server)->url();
  options.retry_on_failed_connect = false;
  auto nats = NatsConnection::Connect(options);
  ASSERT_TRUE(nats.ok()) << nats.status();
  GatewayDirectory directory;
  ASSERT_TRUE(directory.Listen(nats->get(), Subjects("sbx")).ok());

  auto gw = control::testing::FakeGateway::Start((*nats_server)->url(), "sbx", "gw-7", absl::Milliseconds(100));
  ASSERT_TRUE(gw.ok()) << gw.status();
  ASSERT_TRUE(switchboard::testing::WaitFor(
      [&] { return directory.LiveIds(absl::Now()).contains("gw-7"); }, absl::Seconds(5)));
  EXPECT_EQ(directory.Live(absl::Now())[0].info.version(), "fake");
  (*gw)->StopHeartbeats();
  EXPECT_TRUE(switchboard::testing::WaitFor([&] { return directory.LiveIds(absl::Now()).empty(); },
                                            absl::Seconds(5)));
}

}  // namespace
}  // namespace switchboard::fanout
