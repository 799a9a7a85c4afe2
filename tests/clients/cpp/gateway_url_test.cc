#include "clients/cpp/gateway_url.h"

#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

TEST(GatewayUrlTest, WsAndWssWithDefaults) {
  ClientOptions options;
  ASSERT_TRUE(ApplyGatewayUrl("wss://gw.example.com", &options).ok());
  EXPECT_TRUE(options.tls);
  EXPECT_EQ(options.host, "gw.example.com");
  EXPECT_EQ(options.port, 443);
  EXPECT_EQ(options.path, "/ws");

  ASSERT_TRUE(ApplyGatewayUrl("ws://127.0.0.1", &options).ok());
  EXPECT_FALSE(options.tls);
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 80);
  EXPECT_EQ(options.path, "/ws");
}

TEST(GatewayUrlTest, PortsPathsQueriesAndIpv6) {
  ClientOptions options;
  ASSERT_TRUE(
      ApplyGatewayUrl("WSS://localhost:8443/edge/ws?format=json", &options)
          .ok());
  EXPECT_TRUE(options.tls);
  EXPECT_EQ(options.host, "localhost");
  EXPECT_EQ(options.port, 8443);
  EXPECT_EQ(options.path, "/edge/ws?format=json");

  ASSERT_TRUE(ApplyGatewayUrl("ws://[::1]:8080/ws", &options).ok());
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 8080);

  ASSERT_TRUE(ApplyGatewayUrl("wss://[2001:db8::1]", &options).ok());
  EXPECT_EQ(options.host, "2001:db8::1");
  EXPECT_EQ(options.port, 443);

  ASSERT_TRUE(ApplyGatewayUrl("ws://h:1?x=1", &options).ok());
  EXPECT_EQ(options.path, "/ws?x=1");
}

TEST(GatewayUrlTest, BadUrlsLeaveTheOptionsAlone) {
  for (const char* bad :
       {"", "localhost:8080", "http://localhost/ws", "https://localhost/ws",
        "wss://", "wss:///ws", "wss://:443/ws", "wss://host:/ws",
        "wss://host:0/ws", "wss://host:65536/ws", "wss://host:8x/ws",
        "wss://user@host/ws", "wss://host/ws#frag", "wss://[::1/ws",
        "wss://[::1]x/ws", "wss://[::1]:/ws"}) {
    ClientOptions options;
    options.host = "unchanged";
    absl::Status status = ApplyGatewayUrl(bad, &options);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << bad << ": " << status;
    EXPECT_EQ(options.host, "unchanged") << bad;
    EXPECT_FALSE(options.tls) << bad;
  }
}

}  // namespace
}  // namespace client
}  // namespace switchboard
