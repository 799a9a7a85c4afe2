// Transport and TlsSession on real loopback sockets: the server side under
// test, and a client driven by hand (raw bytes, or OpenSSL), both
// non-blocking in one thread.
#include "gateway/transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

#include "absl/time/clock.h"
#include "gateway/tls_context.h"
#include "gateway/tls_session.h"
#include "gtest/gtest.h"
#include "tests/gateway/test_certificates.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::gateway {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Result = TlsSession::Result;

bool WouldBlock(const boost::system::error_code& ec) {
  return ec == net::error::would_block || ec == net::error::try_again;
}

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 23);
  return s;
}

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = testing::WriteSelfSignedCertificate(dir_.path());
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_ = *cert;
    tcp::acceptor acceptor(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    server_ = acceptor.accept();
    server_.non_blocking(true);
    client_.non_blocking(true);
    client_.set_option(tcp::no_delay(true));
    server_fd_ = server_.native_handle();
  }

  void TearDown() override {
    if (client_ssl_ != nullptr) SSL_free(client_ssl_);
    if (client_ctx_ != nullptr) SSL_CTX_free(client_ctx_);
  }

  // The server side with TLS, from a context with `min_version`.
  Transport TlsServer(const std::string& min_version = "1.2") {
    TlsOptions options{cert_.cert_file, cert_.key_file, min_version};
    auto context = TlsContext::Create(options);
    EXPECT_TRUE(context.ok()) << context.status();
    auto session = TlsSession::Create((*context)->native(), server_.native_handle());
    EXPECT_TRUE(session.ok()) << session.status();
    // The session holds its own reference to the SSL_CTX.
    return Transport(std::move(server_), std::move(*session));
  }

  // An OpenSSL client on the other socket that trusts the test certificate.
  void StartTlsClient(int max_version = 0) {
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    ASSERT_EQ(SSL_CTX_load_verify_locations(client_ctx_, cert_.cert_file.c_str(), nullptr), 1);
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_PEER, nullptr);
    if (max_version != 0) SSL_CTX_set_max_proto_version(client_ctx_, max_version);
    client_ssl_ = SSL_new(client_ctx_);
    SSL_set_fd(client_ssl_, client_.native_handle());
    SSL_set1_host(client_ssl_, "localhost");
    SSL_set_connect_state(client_ssl_);
    SSL_set_msg_callback(client_ssl_, &CountRecords);
    SSL_set_msg_callback_arg(client_ssl_, &app_records_);
  }

  // TLS 1.3 application-data records the client received.
  static void CountRecords(int write_p, int, int content_type, const void* buf, size_t len, SSL*,
                           void* arg) {
    if (write_p == 0 && content_type == SSL3_RT_INNER_CONTENT_TYPE && len == 1 &&
        *static_cast<const unsigned char*>(buf) == SSL3_RT_APPLICATION_DATA) {
      ++*static_cast<int*>(arg);
    }
  }

  // Calls `step` until it returns true, waiting for either socket to have
  // input in between; false if that takes more than 10 s.
  bool Pump(const std::function<bool()>& step) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (step()) return true;
      pollfd fds[2] = {{client_.native_handle(), POLLIN, 0}, {server_fd_, POLLIN, 0}};
      poll(fds, 2, 20);
    }
    return step();
  }

  // Runs both sides of the handshake; the server's result must be kOk.
  bool Handshake(Transport& server) {
    bool client_done = false;
    bool server_done = false;
    return Pump([&] {
      if (!client_done) {
        const int r = SSL_do_handshake(client_ssl_);
        const int err = SSL_get_error(client_ssl_, r);
        client_done = r == 1;
        EXPECT_TRUE(r == 1 || err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) << err;
      }
      if (!server_done) {
        const Result r = server.tls_session()->Handshake();
        server_done = r == Result::kOk;
        EXPECT_TRUE(r == Result::kOk || r == Result::kWantRead)
            << static_cast<int>(r) << " " << server.tls_session()->last_error();
      }
      boost::system::error_code ec;
      server.FlushOutput(ec);
      return client_done && server_done;
    });
  }

  // Reads `size` bytes at the client, flushing the server in between.
  std::string ClientReadTls(Transport& server, size_t size) {
    std::string out;
    std::vector<char> buf(64 * 1024);
    Pump([&] {
      boost::system::error_code ec;
      server.FlushOutput(ec);
      for (;;) {
        const int n = SSL_read(client_ssl_, buf.data(), static_cast<int>(buf.size()));
        if (n <= 0) break;
        out.append(buf.data(), static_cast<size_t>(n));
      }
      ERR_clear_error();
      return out.size() >= size;
    });
    return out;
  }

  // Reads what the server sent until `size` bytes or EOF (raw socket).
  std::string ClientReadRaw(size_t size) {
    std::string out;
    char buf[4096];
    Pump([&] {
      boost::system::error_code ec;
      for (;;) {
        const size_t n = client_.read_some(net::buffer(buf), ec);
        if (ec) return !WouldBlock(ec) || out.size() >= size;
        out.append(buf, n);
      }
    });
    return out;
  }

  // Reads application data at the server until something arrives.
  std::string ServerRead(Transport& server, boost::system::error_code* last_ec = nullptr) {
    std::string out;
    char buf[64 * 1024];
    Pump([&] {
      boost::system::error_code ec;
      const size_t n = server.ReadSome(buf, sizeof(buf), ec);
      if (last_ec != nullptr) *last_ec = ec;
      if (!ec) out.assign(buf, n);
      return !WouldBlock(ec);
    });
    return out;
  }

  void ClientWriteTls(const std::string& data) {
    ASSERT_EQ(SSL_write(client_ssl_, data.data(), static_cast<int>(data.size())),
              static_cast<int>(data.size()));
  }

  testing::TempDir dir_{"transport"};
  testing::TestCertificate cert_;
  net::io_context io_;
  tcp::socket client_{io_};
  tcp::socket server_{io_};
  int server_fd_ = -1;
  SSL_CTX* client_ctx_ = nullptr;
  SSL* client_ssl_ = nullptr;
  int app_records_ = 0;
};

TEST_F(TransportTest, PlainTcpReadsAndGatherWrites) {
  Transport server(std::move(server_));
  EXPECT_FALSE(server.tls());
  boost::system::error_code ec;
  char buf[64];
  server.ReadSome(buf, sizeof(buf), ec);
  EXPECT_TRUE(WouldBlock(ec)) << ec.message();

  net::write(client_, net::buffer(std::string("hello")));
  EXPECT_EQ(ServerRead(server), "hello");

  const std::string a = "first,", b = "second,", c = "third";
  const net::const_buffer buffers[] = {net::buffer(a), net::buffer(b), net::buffer(c)};
  EXPECT_EQ(server.WriteSome(buffers, 3, ec), a.size() + b.size() + c.size());
  EXPECT_FALSE(ec);
  EXPECT_TRUE(server.FlushOutput(ec));
  EXPECT_FALSE(server.has_pending_output());
  EXPECT_FALSE(server.HasBufferedInput());
  EXPECT_EQ(ClientReadRaw(a.size() + b.size() + c.size()), "first,second,third");

  client_.shutdown(tcp::socket::shutdown_send);
  boost::system::error_code last;
  ServerRead(server, &last);
  EXPECT_EQ(last, net::error::eof);
  EXPECT_TRUE(server.ShutdownSend(ec));
  EXPECT_EQ(ClientReadRaw(1), "");  // EOF
}

TEST_F(TransportTest, TlsCarriesDataBothWays) {
  Transport server = TlsServer();
  ASSERT_TRUE(server.tls());
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));

  ClientWriteTls("ping from the client");
  EXPECT_EQ(ServerRead(server), "ping from the client");

  const std::string a = "one,", b = Pattern(20000), c = ",three";
  const net::const_buffer buffers[] = {net::buffer(a), net::buffer(b), net::buffer(c)};
  boost::system::error_code ec;
  EXPECT_EQ(server.WriteSome(buffers, 3, ec), a.size() + b.size() + c.size());
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(ClientReadTls(server, a.size() + b.size() + c.size()), a + b + c);
}

TEST_F(TransportTest, SmallFramesShareRecords) {
  Transport server = TlsServer();
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));
  // 200 frames of 50 bytes: one record, not 200.
  std::vector<std::string> frames;
  for (int i = 0; i < 200; ++i) frames.push_back(Pattern(50));
  std::vector<net::const_buffer> buffers;
  for (const auto& f : frames) buffers.push_back(net::buffer(f));
  boost::system::error_code ec;
  ASSERT_EQ(server.WriteSome(buffers.data(), buffers.size(), ec), 200u * 50);
  std::string expected;
  for (const auto& f : frames) expected += f;
  EXPECT_EQ(ClientReadTls(server, expected.size()), expected);
  EXPECT_EQ(app_records_, 1);

  // 100 KB of 1000-byte frames: records of 16 KB (7 of them), in two calls
  // (each takes at most 64 KB).
  frames.assign(100, Pattern(1000));
  buffers.clear();
  for (const auto& f : frames) buffers.push_back(net::buffer(f));
  size_t taken = 0;
  size_t first = 0;
  int calls = 0;
  while (first < buffers.size()) {
    size_t n = server.WriteSome(buffers.data() + first, buffers.size() - first, ec);
    ASSERT_FALSE(ec) << ec.message();
    ++calls;
    taken += n;
    // As Connection does: drop what was taken, keep the rest of a cut frame.
    while (n > 0) {
      const size_t part = std::min(n, buffers[first].size());
      buffers[first] += part;
      n -= part;
      if (buffers[first].size() == 0) ++first;
    }
  }
  EXPECT_EQ(taken, 100000u);
  EXPECT_EQ(calls, 2);
  app_records_ = 0;
  EXPECT_EQ(ClientReadTls(server, 100000).size(), 100000u);
  EXPECT_EQ(app_records_, 7);
}

TEST_F(TransportTest, CiphertextWaitingForTheSocketIsBounded) {
  Transport server = TlsServer();
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));
  const std::string data = Pattern(4 << 20);
  size_t sent = 0;
  boost::system::error_code ec;
  // The client does not read: the socket fills up.
  while (sent < data.size()) {
    net::const_buffer rest(data.data() + sent, data.size() - sent);
    const size_t n = server.WriteSome(&rest, 1, ec);
    if (ec) break;
    ASSERT_LE(n, 64u * 1024);
    sent += n;
  }
  ASSERT_TRUE(WouldBlock(ec)) << ec.message();
  ASSERT_LT(sent, data.size());
  EXPECT_TRUE(server.has_pending_output());
  EXPECT_LE(server.tls_session()->output().size(), 66u * 1024);

  // Reading at the client lets the rest through, in order.
  std::string received;
  std::vector<char> buf(64 * 1024);
  ASSERT_TRUE(Pump([&] {
    for (;;) {
      const int n = SSL_read(client_ssl_, buf.data(), static_cast<int>(buf.size()));
      if (n <= 0) break;
      received.append(buf.data(), static_cast<size_t>(n));
    }
    ERR_clear_error();
    boost::system::error_code wec;
    if (server.FlushOutput(wec) && sent < data.size()) {
      net::const_buffer rest(data.data() + sent, data.size() - sent);
      sent += server.WriteSome(&rest, 1, wec);
    }
    return received.size() == data.size();
  }));
  EXPECT_TRUE(received == data);
}

TEST_F(TransportTest, RecordsReadAheadCountAsBufferedInput) {
  Transport server = TlsServer();
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));
  ClientWriteTls(std::string(100, 'a'));
  ClientWriteTls(std::string(100, 'b'));
  ClientWriteTls(std::string(100, 'c'));
  // All three records (100 bytes, 5 of header, 1 of type, 16 of tag each)
  // wait in the socket before the server reads.
  ASSERT_TRUE(Pump([&] {
    int available = 0;
    ioctl(server_fd_, FIONREAD, &available);
    return available >= 3 * 122;
  }));
  EXPECT_EQ(ServerRead(server), std::string(100, 'a'));
  // The other two records left the socket with the first (read-ahead): no
  // readiness event would announce them.
  pollfd fd = {server_fd_, POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, 0), 0);
  EXPECT_TRUE(server.HasBufferedInput());
  char buf[1024];
  boost::system::error_code ec;
  EXPECT_EQ(std::string(buf, server.ReadSome(buf, sizeof(buf), ec)), std::string(100, 'b'));
  EXPECT_EQ(std::string(buf, server.ReadSome(buf, sizeof(buf), ec)), std::string(100, 'c'));
  server.ReadSome(buf, sizeof(buf), ec);
  EXPECT_TRUE(WouldBlock(ec));
  EXPECT_FALSE(server.HasBufferedInput());
}

TEST_F(TransportTest, CloseNotifyBothWays) {
  Transport server = TlsServer();
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));
  boost::system::error_code ec;
  ASSERT_TRUE(server.ShutdownSend(ec)) << ec.message();
  char buf[16];
  int r = 0;
  ASSERT_TRUE(Pump([&] {
    r = SSL_read(client_ssl_, buf, sizeof(buf));
    return r > 0 || SSL_get_error(client_ssl_, r) != SSL_ERROR_WANT_READ;
  }));
  EXPECT_EQ(SSL_get_error(client_ssl_, r), SSL_ERROR_ZERO_RETURN);
  SSL_shutdown(client_ssl_);
  boost::system::error_code last;
  ServerRead(server, &last);
  EXPECT_EQ(last, net::error::eof);
}

TEST_F(TransportTest, APeerThatLeavesWithoutCloseNotifyIsEof) {
  Transport server = TlsServer();
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));
  client_.close();
  boost::system::error_code last;
  ServerRead(server, &last);
  EXPECT_EQ(last, net::error::eof);
}

TEST_F(TransportTest, PlainHttpSentToTheTlsPortIsRecognized) {
  Transport server = TlsServer();
  net::write(client_, net::buffer(std::string("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")));
  Result r = Result::kWantRead;
  ASSERT_TRUE(Pump([&] { return (r = server.tls_session()->Handshake()) != Result::kWantRead; }));
  EXPECT_EQ(r, Result::kError);
  EXPECT_TRUE(server.tls_session()->peer_sent_plain_http());
  EXPECT_FALSE(server.tls_session()->last_error().empty());
}

TEST_F(TransportTest, GarbageIsAProtocolError) {
  Transport server = TlsServer();
  net::write(client_, net::buffer(std::string("\x16\x03\x01\x00\x05hello\x00\xff garbage", 21)));
  Result r = Result::kWantRead;
  ASSERT_TRUE(Pump([&] { return (r = server.tls_session()->Handshake()) != Result::kWantRead; }));
  EXPECT_EQ(r, Result::kError);
  EXPECT_FALSE(server.tls_session()->peer_sent_plain_http());
  // The alert for the peer waits on the output.
  EXPECT_TRUE(server.has_pending_output());
}

TEST_F(TransportTest, APeerThatLeavesMidHandshakeIsClosed) {
  Transport server = TlsServer();
  StartTlsClient();
  SSL_do_handshake(client_ssl_);  // the ClientHello goes out
  client_.close();
  Result r = Result::kWantRead;
  ASSERT_TRUE(Pump([&] {
    r = server.tls_session()->Handshake();
    boost::system::error_code ec;
    server.FlushOutput(ec);
    return r != Result::kWantRead;
  }));
  EXPECT_EQ(r, Result::kClosed);
}

TEST_F(TransportTest, ClientsBelowTheMinimumVersionAreRefused) {
  Transport server = TlsServer("1.3");
  StartTlsClient(TLS1_2_VERSION);
  Result r = Result::kWantRead;
  ASSERT_TRUE(Pump([&] {
    SSL_do_handshake(client_ssl_);
    ERR_clear_error();
    r = server.tls_session()->Handshake();
    return r != Result::kWantRead;
  }));
  EXPECT_EQ(r, Result::kError);
  EXPECT_FALSE(server.tls_session()->last_error().empty());
}

TEST_F(TransportTest, StaleOpenSslErrorsOfTheThreadAreNotThisSessions) {
  Transport server = TlsServer();
  StartTlsClient();
  ASSERT_TRUE(Handshake(server));
  // Another OpenSSL user on this thread (JWT verification) left an error.
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
  char buf[16];
  boost::system::error_code ec;
  server.ReadSome(buf, sizeof(buf), ec);
  EXPECT_TRUE(WouldBlock(ec)) << ec.message();
}

TEST_F(TransportTest, CloseEndsTheSession) {
  Transport server = TlsServer();
  server.Close();
  EXPECT_FALSE(server.tls());
  char buf[16];
  boost::system::error_code ec;
  server.ReadSome(buf, sizeof(buf), ec);
  EXPECT_TRUE(ec);
  EXPECT_FALSE(WouldBlock(ec));
}

}  // namespace
}  // namespace switchboard::gateway
