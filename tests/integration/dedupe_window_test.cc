// The dedupe window a real gateway announces, and why clients must not resend
// past it: within the window a retry under the same message id is stored once,
// after it the same id is stored again.
#include <memory>
#include <string>

#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::WaitFor;

TEST(DedupeWindowTest, TheGatewayAnnouncesItsWindowAndARetryPastItIsStoredAgain) {
  auto nats = testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  auto gw = GatewayProcess::Start((*nats)->url(), "gw-dedupe", {"--dedupe_window=2s"});
  ASSERT_TRUE(gw.ok()) << gw.status();
  Client client((*gw)->ClientOptionsFor(GatewayProcess::Token("writer")));
  absl::StatusOr<cv1::Welcome> welcome = client.Connect();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(welcome->dedupe_window().seconds(), 2);
  EXPECT_EQ(welcome->dedupe_window().nanos(), 0);

  const std::string room = "chat:dedupe";
  auto first = client.Publish(room, TextPayload("once"), "msg-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate());
  // Inside the window: the same id is the same message.
  auto retry = client.Publish(room, TextPayload("once"), "msg-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->offset(), first->offset());
  // Past it, the stream no longer knows the id: a resend would be a second
  // copy, which is what the clients' "fate unknown" rule prevents.
  absl::StatusOr<cv1::PublishAck> late;
  ASSERT_TRUE(WaitFor(
      [&] {
        late = client.Publish(room, TextPayload("once"), "msg-1");
        return late.ok() && !late->duplicate();
      },
      // JetStream drops ids a little after the window; 4 tries a second stay
      // far below the publish rate limit.
      absl::Seconds(15), absl::Milliseconds(250)))
      << late.status();
  EXPECT_GT(late->offset(), first->offset());
}

}  // namespace
}  // namespace switchboard
