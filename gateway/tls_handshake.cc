#include "gateway/tls_handshake.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "gateway/http_upgrade.h"
#include "gateway/worker.h"

namespace switchboard::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// What a browser or curl gets when it speaks plain HTTP to the TLS port.
const std::string& PlainHttpAnswer() {
  static const std::string* answer = [] {
    constexpr absl::string_view kBody = "this port speaks TLS: use https:// or wss://\n";
    return new std::string(absl::StrCat(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ", kBody.size(),
        "\r\nConnection: close\r\n\r\n", kBody));
  }();
  return *answer;
}

bool WouldBlock(const boost::system::error_code& ec) {
  return ec == net::error::would_block || ec == net::error::try_again;
}

// The socket, non-blocking, with a new server-side session (none if OpenSSL
// is out of memory: Run() then fails the handshake).
Transport WithTls(tcp::socket socket, SSL_CTX* ctx) {
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  auto session = TlsSession::Create(ctx, socket.native_handle());
  if (!session.ok()) {
    SB_LOG_WARN("TLS session not created: {}", session.status().ToString());
    return Transport(std::move(socket));
  }
  return Transport(std::move(socket), std::move(*session));
}

}  // namespace

TlsHandshake::TlsHandshake(Worker& worker, tcp::socket socket, SSL_CTX* ctx,
                           std::chrono::steady_clock::time_point deadline, ConnectionSlot slot)
    : worker_(worker),
      transport_(WithTls(std::move(socket), ctx)),
      timer_(worker.io()),
      deadline_(deadline),
      slot_(std::move(slot)) {}

void TlsHandshake::Run() {
  if (!transport_.tls()) return Fail(TlsHandshakeFailure::kProtocol);
  timer_.expires_at(deadline_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->done_) return;
    self->Fail(TlsHandshakeFailure::kTimeout);
  });
  Step();
}

void TlsHandshake::Step() {
  TlsSession& tls = *transport_.tls_session();
  const TlsSession::Result result = tls.Handshake();
  boost::system::error_code ec;
  const bool flushed = transport_.FlushOutput(ec);
  if (!flushed && !WouldBlock(ec)) return Fail(TlsHandshakeFailure::kClosed);
  switch (result) {
    case TlsSession::Result::kOk:
      if (!flushed) return Wait(tcp::socket::wait_write);
      break;
    case TlsSession::Result::kWantRead:
      return Wait(flushed ? tcp::socket::wait_read : tcp::socket::wait_write);
    case TlsSession::Result::kClosed:
      return Fail(TlsHandshakeFailure::kClosed);
    case TlsSession::Result::kError:
      if (tls.peer_sent_plain_http()) {
        // The TLS alert would mean nothing to an HTTP client; this might.
        boost::system::error_code ignored;
        transport_.socket().write_some(net::buffer(PlainHttpAnswer()), ignored);
      }
      SB_LOG_DEBUG("TLS handshake failed: {}", tls.last_error());
      return Fail(TlsHandshakeFailure::kProtocol);
  }
  done_ = true;
  timer_.cancel();
  std::make_shared<HttpUpgrade>(worker_, std::move(transport_), deadline_, std::move(slot_))->Run();
}

void TlsHandshake::Wait(tcp::socket::wait_type type) {
  transport_.socket().async_wait(type, [self = shared_from_this()](boost::system::error_code ec) {
    if (self->done_) return;
    if (ec) return self->Fail(TlsHandshakeFailure::kClosed);
    self->Step();
  });
}

void TlsHandshake::Fail(TlsHandshakeFailure reason) {
  if (done_) return;
  done_ = true;
  worker_.stats().tls_handshake_failures[static_cast<int>(reason)].Add();
  timer_.cancel();
  // Unread input would turn the close into a reset, which could destroy an
  // alert or answer still in flight: read what is there first.
  boost::system::error_code ec;
  for (int i = 0; i < 4 && !ec; ++i) {
    transport_.socket().read_some(net::buffer(worker_.read_buffer(), worker_.read_buffer_size()),
                                  ec);
  }
  transport_.socket().shutdown(tcp::socket::shutdown_send, ec);
  transport_.Close();  // pending waits end with an error; done_ ignores them
  slot_.Release();
}

}  // namespace switchboard::gateway
