#include "tests/testing/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace testing {
namespace {

// Serves one connection on 127.0.0.1: reads the request head, writes
// `response` and closes; with `hang`, answers nothing until destroyed.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response, bool hang = false)
      : response_(std::move(response)), hang_(hang) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 4), 0);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~OneShotServer() {
    done_.Notify();
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }

  int port() const { return port_; }
  // Valid once the client has its answer.
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buffer[4096];
    while (!absl::StrContains(request_, "\r\n\r\n")) {
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      request_.append(buffer, n);
    }
    if (hang_) {
      done_.WaitForNotification();
    } else {
      send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
    }
    close(fd);
  }

  const std::string response_;
  const bool hang_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string request_;
  absl::Notification done_;
  std::thread thread_;
};

TEST(HttpGetTest, SendsAGetForThePathAndReadsContentLengthBody) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
      "{\"status\":\"ok\"}");
  absl::StatusOr<HttpResponse> response =
      HttpGet(server.port(), "/healthz?js-enabled-only=true", absl::Seconds(5));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "{\"status\":\"ok\"}");
  EXPECT_TRUE(absl::StartsWith(server.request(), "GET /healthz?js-enabled-only=true HTTP/1.1\r\n"))
      << server.request();
  EXPECT_TRUE(absl::StrContains(server.request(), "Connection: close\r\n"));
}

TEST(HttpGetTest, DecodesChunkedBodies) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
  absl::StatusOr<HttpResponse> response = HttpGet(server.port(), "/", absl::Seconds(5));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "hello, world");
}

TEST(HttpGetTest, ReadsToEofWithoutLengthAndReportsErrorStatuses) {
  OneShotServer server("HTTP/1.1 503 Service Unavailable\r\n\r\nnot yet");
  absl::StatusOr<HttpResponse> response = HttpGet(server.port(), "/healthz", absl::Seconds(5));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "not yet");
}

TEST(HttpGetTest, RefusedConnectionIsUnavailable) {
  int port;
  {
    OneShotServer closed("");  // Learn a port, then close it.
    port = closed.port();
  }
  absl::StatusOr<HttpResponse> response = HttpGet(port, "/", absl::Seconds(5));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
}

TEST(HttpGetTest, SilentServerTimesOut) {
  OneShotServer server("", /*hang=*/true);
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = HttpGet(server.port(), "/", absl::Milliseconds(200));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(HttpGetTest, GarbageIsAnError) {
  OneShotServer server("SSH-2.0-OpenSSH\r\n\r\n");
  absl::StatusOr<HttpResponse> response = HttpGet(server.port(), "/", absl::Seconds(5));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInternal) << response.status();
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
