#include "tests/testing/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace testing {
namespace {

TEST(PickFreePortTest, ReturnsABindablePort) {
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(*port);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(PickFreePortTest, NeverHandsOutTheSamePortTwice) {
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<int> port = PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_TRUE(seen.insert(*port).second) << "port " << *port << " handed out twice";
  }
}

TEST(PickFreePortTest, StaysOutOfTheKernelsEphemeralRange) {
  // Outgoing connections take their source ports from this range; a port
  // picked inside it can be taken by any connect() on the machine.
  const auto [low, high] = EphemeralPortRange();
  ASSERT_LE(low, high);
  const int outside = std::max(0, low - 10000) + std::max(0, 65535 - std::max(high, 9999));
  if (outside < 1000) GTEST_SKIP() << "the ephemeral range " << low << "-" << high << " leaves no room";
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<int> port = PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_TRUE(*port < low || *port > high) << *port << " is in " << low << "-" << high;
    EXPECT_GE(*port, 10000);
  }
}

TEST(PickFreePortTest, AnEphemeralRangeCoveringEverythingFallsBackToAllPorts) {
  // Some containers set ip_local_port_range to 1024-65535.
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<int> port = PickFreePortAvoiding({1024, 65535});
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_GE(*port, 10000);
    EXPECT_LE(*port, 65535);
  }
  // A narrow range is still avoided.
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<int> port = PickFreePortAvoiding({20000, 65535});
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_GE(*port, 10000);
    EXPECT_LT(*port, 20000);
  }
}

TEST(PickFreePortTest, ReservesThePortAgainstOtherProcesses) {
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  // Another process would try to bind the same abstract name, and fail.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string name = absl::StrCat("switchboard-test-port-", *port);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const socklen_t len = offsetof(sockaddr_un, sun_path) + 1 + name.size();
  EXPECT_NE(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(errno, EADDRINUSE);
  close(fd);
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
