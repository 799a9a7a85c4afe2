#include "tests/testing/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace switchboard {
namespace testing {
namespace {

// Far more than any monitoring page; stops a runaway peer from eating memory.
constexpr size_t kMaxResponseBytes = 64 << 20;

// Closes the socket on every return path.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status PollUntil(int fd, short events, absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("HttpGet: timed out");
    }
    pollfd pfd{fd, events, 0};
    const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(left));
    const int n = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("HttpGet: poll: ", strerror(errno)));
    }
  }
}

absl::StatusOr<std::string> Dechunk(absl::string_view in) {
  std::string out;
  while (true) {
    const size_t eol = in.find("\r\n");
    if (eol == absl::string_view::npos) return absl::InternalError("HttpGet: truncated chunk");
    absl::string_view size_text = in.substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));  // Drop chunk extensions.
    size_text = absl::StripAsciiWhitespace(size_text);
    uint64_t size = 0;
    if (size_text.empty() || !absl::SimpleHexAtoi(size_text, &size)) {
      return absl::InternalError(absl::StrCat("HttpGet: bad chunk size '", size_text, "'"));
    }
    in.remove_prefix(eol + 2);
    if (size == 0) return out;  // Trailers, if any, are of no interest.
    if (in.size() < size) return absl::InternalError("HttpGet: truncated chunk");
    out.append(in.data(), size);
    in.remove_prefix(size);
    if (!absl::ConsumePrefix(&in, "\r\n")) return absl::InternalError("HttpGet: bad chunk end");
  }
}

absl::StatusOr<HttpResponse> Parse(absl::string_view raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == absl::string_view::npos) {
    return absl::InternalError(absl::StrCat("HttpGet: no header end in ", raw.size(), " bytes"));
  }
  std::vector<absl::string_view> lines = absl::StrSplit(raw.substr(0, head_end), "\r\n");
  std::vector<absl::string_view> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  HttpResponse response;
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::InternalError(absl::StrCat("HttpGet: bad status line '", lines[0], "'"));
  }
  bool chunked = false;
  int64_t content_length = -1;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (name == "transfer-encoding") {
      chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
    } else if (name == "content-length" && !absl::SimpleAtoi(value, &content_length)) {
      return absl::InternalError(absl::StrCat("HttpGet: bad Content-Length '", value, "'"));
    }
  }
  absl::string_view body = raw.substr(head_end + 4);
  if (chunked) {
    absl::StatusOr<std::string> dechunked = Dechunk(body);
    if (!dechunked.ok()) return dechunked.status();
    response.body = *std::move(dechunked);
  } else if (content_length >= 0) {
    if (body.size() < static_cast<uint64_t>(content_length)) {
      return absl::InternalError(absl::StrCat("HttpGet: body has ", body.size(),
                                              " bytes, Content-Length says ", content_length));
    }
    response.body = std::string(body.substr(0, content_length));
  } else {
    response.body = std::string(body);
  }
  return response;
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(int port, absl::string_view path, absl::Duration timeout) {
  return HttpGet(port, path, timeout, {});
}

absl::StatusOr<HttpResponse> HttpGet(
    int port, absl::string_view path, absl::Duration timeout,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  const absl::Time deadline = absl::Now() + timeout;
  Socket sock(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.fd() < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(sock.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      return absl::UnavailableError(
          absl::StrCat("HttpGet: connect 127.0.0.1:", port, ": ", strerror(errno)));
    }
    if (absl::Status s = PollUntil(sock.fd(), POLLOUT, deadline); !s.ok()) return s;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(sock.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return absl::UnavailableError(
          absl::StrCat("HttpGet: connect 127.0.0.1:", port, ": ", strerror(err)));
    }
  }

  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                     "\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  absl::StrAppend(&request, "\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(sock.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += n;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (absl::Status s = PollUntil(sock.fd(), POLLOUT, deadline); !s.ok()) return s;
    } else {
      return absl::UnavailableError(absl::StrCat("HttpGet: send: ", strerror(errno)));
    }
  }

  std::string raw;
  char buffer[16384];
  while (true) {
    const ssize_t n = recv(sock.fd(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      raw.append(buffer, n);
      if (raw.size() > kMaxResponseBytes) return absl::InternalError("HttpGet: answer too big");
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (absl::Status s = PollUntil(sock.fd(), POLLIN, deadline); !s.ok()) return s;
    } else {
      return absl::UnavailableError(absl::StrCat("HttpGet: recv: ", strerror(errno)));
    }
  }
  return Parse(raw);
}

}  // namespace testing
}  // namespace switchboard
