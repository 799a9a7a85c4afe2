#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard {
namespace testing {
namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Connects to 127.0.0.1:port, blocking (local, so immediate); -1 on failure.
int Dial(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Writes all of `data` to a blocking socket; false when the peer is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy());
  proxy->target_port_ = target_port;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  proxy->listen_fd_ = fd;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return Errno("bind");
  if (::listen(fd, 64) != 0) return Errno("listen");
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Errno("getsockname");
  }
  proxy->port_ = ntohs(addr.sin_port);
  if (::pipe2(proxy->wake_, O_CLOEXEC | O_NONBLOCK) != 0) return Errno("pipe");
  proxy->thread_ = std::thread([p = proxy.get()] { p->Loop(); });
  return proxy;
}

TcpProxy::~TcpProxy() {
  if (thread_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    char c = 0;
    (void)!::write(wake_[1], &c, 1);
    thread_.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpProxy::Cut() {
  int target;
  {
    absl::MutexLock lock(&mu_);
    cut_ = true;
    target = ++cuts_requested_;
  }
  char c = 0;
  (void)!::write(wake_[1], &c, 1);
  absl::MutexLock lock(&mu_);
  auto applied = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return cuts_applied_ >= target || stopping_;
  };
  mu_.Await(absl::Condition(&applied));
}

void TcpProxy::Restore() {
  absl::MutexLock lock(&mu_);
  cut_ = false;
}

void TcpProxy::Loop() {
  // pairs[i] = {client side, server side}
  std::vector<std::pair<int, int>> pairs;
  auto close_pair = [](std::pair<int, int>& p) {
    ::close(p.first);
    ::close(p.second);
  };
  std::vector<char> buffer(64 * 1024);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      if (cuts_applied_ < cuts_requested_) {
        for (auto& p : pairs) close_pair(p);
        pairs.clear();
        cuts_applied_ = cuts_requested_;
      }
    }
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& [a, b] : pairs) {
      fds.push_back({a, POLLIN, 0});
      fds.push_back({b, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof(drain)) > 0) {
      }
    }
    // Only the pairs that were polled have an entry in fds.
    const size_t polled = pairs.size();
    if (fds[1].revents & POLLIN) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        bool cut;
        {
          absl::MutexLock lock(&mu_);  // as of now, not as of the poll
          cut = cut_;
        }
        int server = cut ? -1 : Dial(target_port_);
        if (server < 0) {
          ::close(client);  // refused: what a dead link looks like
        } else {
          int one = 1;
          ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          pairs.emplace_back(client, server);
          forwarded_.fetch_add(1);
        }
      }
    }
    // Copy what is readable; a closed side closes the pair.
    std::vector<bool> dead(pairs.size(), false);
    for (size_t i = 0; i < polled; ++i) {
      for (int side = 0; side < 2 && !dead[i]; ++side) {
        const pollfd& pfd = fds[2 + 2 * i + side];
        if (pfd.revents == 0) continue;
        const int from = side == 0 ? pairs[i].first : pairs[i].second;
        const int to = side == 0 ? pairs[i].second : pairs[i].first;
        ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
        if (n <= 0 || !WriteAll(to, buffer.data(), static_cast<size_t>(n))) dead[i] = true;
      }
    }
    for (size_t i = pairs.size(); i-- > 0;) {
      if (!dead[i]) continue;
      close_pair(pairs[i]);
      pairs[i] = pairs.back();
      pairs.pop_back();
    }
  }
  for (auto& p : pairs) close_pair(p);
  absl::MutexLock lock(&mu_);
  cuts_applied_ = cuts_requested_;
}

}  // namespace testing
}  // namespace switchboard
