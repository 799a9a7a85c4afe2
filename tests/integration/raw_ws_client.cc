#include "tests/integration/raw_ws_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {

RawWsClient::~RawWsClient() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<RawWsClient>> RawWsClient::Dial(int port, int receive_buffer) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  if (receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", strerror(errno)));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::unique_ptr<RawWsClient>(new RawWsClient(fd));
}

absl::Status RawWsClient::SendBytes(absl::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> RawWsClient::ReadSome(absl::Duration timeout) {
  pollfd p{fd_, POLLIN, 0};
  int r = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (r == 0) return absl::DeadlineExceededError("no data");
  if (r < 0) return absl::InternalError("poll");
  char buf[65536];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
  if (n == 0) return absl::UnavailableError("eof");
  buffer_.append(buf, static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

absl::StatusOr<int> RawWsClient::Upgrade(absl::string_view path_and_query,
                                         const std::vector<std::string>& extra_headers) {
  std::string req = absl::StrCat("GET ", path_and_query,
                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
  for (const std::string& h : extra_headers) absl::StrAppend(&req, h, "\r\n");
  absl::StrAppend(&req, "\r\n");
  if (absl::Status s = SendBytes(req); !s.ok()) return s;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    auto n = ReadSome(deadline - absl::Now());
    if (!n.ok()) return n.status();
  }
  response_head_ = buffer_.substr(0, end + 4);
  buffer_.erase(0, end + 4);
  if (response_head_.size() < 12) return absl::InternalError("short response");
  return std::atoi(response_head_.substr(9, 3).c_str());
}

absl::Status RawWsClient::SendFrame(uint8_t opcode, absl::string_view payload, bool fin,
                                    bool mask) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f)));
  const uint8_t mask_bit = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xffff) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (mask) frame.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(mask ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  }
  return SendBytes(frame);
}

absl::StatusOr<RawWsClient::Frame> RawWsClient::ReadFrame(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (buffer_.size() >= 2) {
      const uint8_t b0 = static_cast<uint8_t>(buffer_[0]);
      const uint8_t b1 = static_cast<uint8_t>(buffer_[1]);
      uint64_t len = b1 & 0x7f;
      size_t header = 2;
      if (len == 126) {
        header = 4;
      } else if (len == 127) {
        header = 10;
      }
      if (buffer_.size() >= header) {
        if (header == 4) {
          len = (static_cast<uint8_t>(buffer_[2]) << 8) | static_cast<uint8_t>(buffer_[3]);
        } else if (header == 10) {
          len = 0;
          for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<uint8_t>(buffer_[i]);
        }
        if (buffer_.size() >= header + len) {
          Frame f;
          f.fin = (b0 & 0x80) != 0;
          f.opcode = b0 & 0x0f;
          f.payload = buffer_.substr(header, len);
          buffer_.erase(0, header + len);
          return f;
        }
      }
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no frame");
    auto n = ReadSome(left);
    if (!n.ok()) return n.status();
  }
}

absl::StatusOr<uint16_t> RawWsClient::ReadUntilClose(absl::Duration timeout, std::string* reason,
                                                     std::vector<Frame>* before) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto f = ReadFrame(deadline - absl::Now());
    if (!f.ok()) return f.status();
    if (f->opcode == 8) {
      if (f->payload.size() < 2) return static_cast<uint16_t>(1005);
      if (reason != nullptr) *reason = f->payload.substr(2);
      return static_cast<uint16_t>((static_cast<uint8_t>(f->payload[0]) << 8) |
                                   static_cast<uint8_t>(f->payload[1]));
    }
    if (before != nullptr) before->push_back(std::move(*f));
  }
}

bool RawWsClient::WaitForEof(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto n = ReadSome(deadline - absl::Now());
    if (!n.ok()) return absl::IsUnavailable(n.status());
    buffer_.clear();
  }
  return false;
}

}  // namespace switchboard::testing
