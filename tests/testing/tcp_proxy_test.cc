#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace switchboard {
namespace testing {
namespace {

// A listening socket on a free 127.0.0.1 port.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 8);
    // Bounded accepts and reads: a broken proxy fails the test, not hangs it.
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  int Accept() {
    int fd = ::accept(fd_, nullptr, nullptr);
    timeval tv{5, 0};
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int Dial(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  // Bounded reads: a broken proxy fails the test instead of hanging it.
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Reads exactly `n` bytes, or what came before EOF / timeout.
std::string ReadN(int fd, size_t n) {
  std::string out;
  char buf[256];
  while (out.size() < n) {
    ssize_t got = ::recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

// True when the peer closed the connection (EOF), false on data or timeout.
bool SeesEof(int fd) {
  char c;
  return ::recv(fd, &c, 1, 0) == 0;
}

TEST(TcpProxyTest, ForwardsBothWays) {
  Listener target;
  auto proxy = TcpProxy::Start(target.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  int client = Dial((*proxy)->port());
  ASSERT_GE(client, 0);
  int server = target.Accept();
  ASSERT_GE(server, 0);
  ASSERT_EQ(::send(client, "ping", 4, 0), 4);
  EXPECT_EQ(ReadN(server, 4), "ping");
  ASSERT_EQ(::send(server, "pong!", 5, 0), 5);
  EXPECT_EQ(ReadN(client, 5), "pong!");
  EXPECT_EQ((*proxy)->forwarded(), 1);
  ::close(client);
  EXPECT_TRUE(SeesEof(server)) << "a closed side closes the other";
  ::close(server);
}

TEST(TcpProxyTest, CutClosesConnectionsAndRefusesNewOnesUntilRestored) {
  Listener target;
  auto proxy = TcpProxy::Start(target.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  int client = Dial((*proxy)->port());
  ASSERT_GE(client, 0);
  int server = target.Accept();
  ASSERT_GE(server, 0);

  (*proxy)->Cut();
  EXPECT_TRUE(SeesEof(client));
  EXPECT_TRUE(SeesEof(server));
  ::close(client);
  ::close(server);
  // While cut, a new connection is accepted and closed at once.
  int refused = Dial((*proxy)->port());
  ASSERT_GE(refused, 0);
  EXPECT_TRUE(SeesEof(refused));
  ::close(refused);
  EXPECT_EQ((*proxy)->forwarded(), 1);

  (*proxy)->Restore();
  int again = Dial((*proxy)->port());
  ASSERT_GE(again, 0);
  int server2 = target.Accept();
  ASSERT_GE(server2, 0);
  ASSERT_EQ(::send(again, "back", 4, 0), 4);
  EXPECT_EQ(ReadN(server2, 4), "back");
  EXPECT_EQ((*proxy)->forwarded(), 2);
  ::close(again);
  ::close(server2);
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
