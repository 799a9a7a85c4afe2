#include "clients/cpp/websocket_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace switchboard {
namespace client {
namespace {

namespace beast = ::boost::beast;
namespace http = ::boost::beast::http;
namespace net = ::boost::asio;
namespace ssl = ::boost::asio::ssl;
namespace websocket = ::boost::beast::websocket;
using tcp = ::boost::asio::ip::tcp;

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration())));
}

// RFC 6455 caps the reason at 123 bytes; Beast throws beyond that.
constexpr size_t kMaxCloseReasonBytes = 123;

absl::Status DeclinedUpgradeStatus(const websocket::response_type& response) {
  std::string body = response.body().substr(0, 200);
  std::string message =
      absl::StrCat("upgrade declined: HTTP ", response.result_int(), " ",
                   std::string(response.reason()));
  if (!body.empty()) absl::StrAppend(&message, ": ", body);
  switch (response.result_int()) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

WebSocketConnection::WebSocketConnection(net::io_context& io_context,
                                         Settings settings, Handlers handlers)
    : io_context_(io_context),
      settings_(std::move(settings)),
      handlers_(std::move(handlers)),
      resolver_(io_context),
      open_timer_(io_context) {
  if (settings_.tls_context != nullptr) {
    tls_ws_ = std::make_unique<TlsStream>(io_context, *settings_.tls_context);
  } else {
    plain_ws_ = std::make_unique<PlainStream>(io_context);
  }
}

WebSocketConnection::~WebSocketConnection() = default;

void WebSocketConnection::Open(absl::Duration timeout,
                               std::function<void(absl::Status)> done) {
  if (phase_ != Phase::kNew) {
    net::post(io_context_, [done = std::move(done)] {
      done(absl::FailedPreconditionError("connection already opened once"));
    });
    return;
  }
  phase_ = Phase::kOpening;
  open_done_ = std::move(done);
  open_timer_.expires_after(ToSteady(timeout));
  // One deadline for resolve, connect and upgrade: closing the socket makes
  // whichever step is pending fail, and that step reports the timeout.
  open_timer_.async_wait(
      [self = shared_from_this()](const beast::error_code& ec) {
        if (ec || self->phase_ != Phase::kOpening) return;
        self->open_timed_out_ = true;
        self->resolver_.cancel();
        self->CloseSocket();
      });
  resolver_.async_resolve(
      settings_.host, std::to_string(settings_.port),
      [self = shared_from_this()](const beast::error_code& ec,
                                  tcp::resolver::results_type results) {
        self->OnResolve(ec, std::move(results));
      });
}

void WebSocketConnection::OnResolve(const beast::error_code& ec,
                                    tcp::resolver::results_type results) {
  if (ec || open_timed_out_ || open_cancelled_) {
    return FinishOpen(OpenError("resolve", ec));
  }
  WithStream([&](auto& ws) {
    beast::get_lowest_layer(ws).async_connect(
        results, [self = shared_from_this()](const beast::error_code& ec,
                                             const tcp::endpoint&) {
          self->OnConnect(ec);
        });
  });
}

void WebSocketConnection::OnConnect(const beast::error_code& ec) {
  if (ec || open_timed_out_ || open_cancelled_) {
    return FinishOpen(OpenError("connect", ec));
  }
  WithStream([](auto& ws) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true),
                                                    ignored);
  });
  if (tls_ws_ == nullptr) return StartUpgrade();
  SSL* ssl = tls_ws_->next_layer().native_handle();
  beast::error_code not_ip;
  net::ip::make_address(settings_.host, not_ip);
  if (not_ip) {
    // A DNS name: sent as SNI (for gateways behind a shared address) and
    // checked against the certificate's names.
    SSL_set_tlsext_host_name(ssl, settings_.host.c_str());
    SSL_set1_host(ssl, settings_.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), settings_.host.c_str());
  }
  tls_ws_->next_layer().async_handshake(
      ssl::stream_base::client,
      [self = shared_from_this()](const beast::error_code& ec) {
        self->OnTlsHandshake(ec);
      });
}

void WebSocketConnection::OnTlsHandshake(const beast::error_code& ec) {
  if (ec || open_timed_out_ || open_cancelled_) {
    return FinishOpen(OpenError("TLS handshake", ec));
  }
  StartUpgrade();
}

void WebSocketConnection::StartUpgrade() {
  WithStream([this](auto& ws) {
    ws.set_option(websocket::stream_base::decorator(
        [subprotocol = settings_.subprotocol,
         headers = settings_.headers](websocket::request_type& request) {
          request.set(http::field::user_agent, "switchboard-cpp");
          request.set(http::field::sec_websocket_protocol, subprotocol);
          for (const auto& [name, value] : headers) request.set(name, value);
        }));
    // Beast's own timer bounds the closing handshake; the open timer bounds the
    // upgrade, so Beast's handshake limit only needs to be no shorter.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = ToSteady(settings_.close_timeout);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    ws.read_message_max(settings_.max_message_bytes);
    // One frame per message: fewer frames for the gateway to parse. Messages
    // stay far below any size where fragmenting would pay.
    ws.auto_fragment(false);
    ws.async_handshake(
        response_, absl::StrCat(settings_.host, ":", settings_.port),
        settings_.target,
        [self = shared_from_this()](const beast::error_code& ec) {
          self->OnHandshake(ec);
        });
  });
}

void WebSocketConnection::OnHandshake(const beast::error_code& ec) {
  if (ec || open_timed_out_ || open_cancelled_) {
    return FinishOpen(OpenError("upgrade", ec));
  }
  auto it = response_.find(http::field::sec_websocket_protocol);
  std::string selected =
      it == response_.end() ? std::string() : std::string(it->value());
  if (selected != settings_.subprotocol) {
    return FinishOpen(absl::FailedPreconditionError(
        absl::StrCat("server selected subprotocol \"", selected,
                     "\" instead of \"", settings_.subprotocol, "\"")));
  }
  FinishOpen(absl::OkStatus());
}

absl::Status WebSocketConnection::OpenError(absl::string_view step,
                                            const beast::error_code& ec) const {
  std::string where = absl::StrCat(settings_.host, ":", settings_.port);
  if (open_timed_out_) {
    return absl::DeadlineExceededError(absl::StrCat(
        "no WebSocket connection to ", where, " in time (", step, ")"));
  }
  if (open_cancelled_) {
    return absl::CancelledError(
        absl::StrCat("connection attempt to ", where, " cancelled"));
  }
  if (ec == websocket::error::upgrade_declined) {
    return DeclinedUpgradeStatus(response_);
  }
  if (tls_ws_ != nullptr && step == "TLS handshake") {
    const long verify =
        SSL_get_verify_result(tls_ws_->next_layer().native_handle());
    if (verify != X509_V_OK) {
      return absl::UnavailableError(
          absl::StrCat(step, " ", where, ": certificate not accepted: ",
                       X509_verify_cert_error_string(verify)));
    }
  }
  return absl::UnavailableError(
      absl::StrCat(step, " ", where, ": ", ec.message()));
}

void WebSocketConnection::FinishOpen(absl::Status status) {
  if (phase_ != Phase::kOpening) return;
  open_timer_.cancel();
  auto done = std::move(open_done_);
  open_done_ = nullptr;
  if (!status.ok()) {
    phase_ = Phase::kClosed;
    CloseSocket();
    done(std::move(status));
    return;
  }
  phase_ = Phase::kOpen;
  DoRead();
  done(absl::OkStatus());
}

bool WebSocketConnection::Send(std::shared_ptr<const std::string> message,
                               bool binary) {
  if (phase_ != Phase::kOpen) return false;
  if (queue_.size() >= settings_.max_queued_writes) return false;
  queue_.push_back(Outgoing{std::move(message), binary});
  DoWrite();
  return true;
}

void WebSocketConnection::DoWrite() {
  if (writing_ || queue_.empty() || phase_ != Phase::kOpen) return;
  writing_ = true;
  // The message leaves the queue while Beast writes it; the handler keeps the
  // buffer alive.
  Outgoing outgoing = std::move(queue_.front());
  queue_.pop_front();
  WithStream([&](auto& ws) {
    ws.binary(outgoing.binary);
    ws.async_write(
        net::buffer(*outgoing.data),
        [self = shared_from_this(), data = outgoing.data](
            const beast::error_code& ec, size_t) { self->OnWrite(ec); });
  });
}

void WebSocketConnection::OnWrite(const beast::error_code& ec) {
  writing_ = false;
  if (ec) {
    // The pending read fails next and reports the close.
    CloseSocket();
    return;
  }
  DoWrite();
}

void WebSocketConnection::DoRead() {
  WithStream([this](auto& ws) {
    ws.async_read(read_buffer_,
                  [self = shared_from_this()](const beast::error_code& ec,
                                              size_t) { self->OnRead(ec); });
  });
}

void WebSocketConnection::OnRead(const beast::error_code& ec) {
  if (ec) return ReportClosed(ec);
  if (phase_ == Phase::kClosed) return;
  std::string message = beast::buffers_to_string(read_buffer_.data());
  read_buffer_.consume(read_buffer_.size());
  bool binary = WithStream([](auto& ws) { return ws.got_binary(); });
  if (handlers_.on_message) handlers_.on_message(std::move(message), binary);
  if (phase_ == Phase::kOpen || phase_ == Phase::kClosing) DoRead();
}

void WebSocketConnection::Close(uint16_t code, absl::string_view reason) {
  if (phase_ == Phase::kOpening || phase_ == Phase::kNew) return Abort();
  if (phase_ != Phase::kOpen) return;
  phase_ = Phase::kClosing;
  client_close_code_ = code;
  queue_.clear();
  websocket::close_reason close_reason(
      static_cast<websocket::close_code>(code),
      beast::string_view(reason.data(),
                         std::min(reason.size(), kMaxCloseReasonBytes)));
  WithStream([&](auto& ws) {
    ws.async_close(close_reason,
                   [self = shared_from_this()](const beast::error_code& ec) {
                     self->ReportClosed(ec);
                   });
  });
}

void WebSocketConnection::Abort() {
  switch (phase_) {
    case Phase::kNew:
      phase_ = Phase::kClosed;
      return;
    case Phase::kOpening:
      // The pending step fails on the closed socket and reports kCancelled.
      open_cancelled_ = true;
      resolver_.cancel();
      CloseSocket();
      return;
    case Phase::kOpen:
    case Phase::kClosing:
      phase_ = Phase::kClosing;
      if (client_close_code_ == 0) client_close_code_ = kCloseCodeAbnormal;
      CloseSocket();
      net::post(io_context_, [self = shared_from_this()] {
        self->ReportClosed(net::error::operation_aborted);
      });
      return;
    case Phase::kClosed:
      return;
  }
}

void WebSocketConnection::SetIdleTimeout(absl::Duration timeout) {
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = ToSteady(settings_.close_timeout);
  timeouts.idle_timeout = timeout > absl::ZeroDuration()
                              ? ToSteady(timeout)
                              : websocket::stream_base::none();
  timeouts.keep_alive_pings = true;
  WithStream([&](auto& ws) { ws.set_option(timeouts); });
}

void WebSocketConnection::ReportClosed(const beast::error_code& ec) {
  if (closed_reported_) return;
  closed_reported_ = true;
  phase_ = Phase::kClosed;
  queue_.clear();
  CloseInfo info;
  const websocket::close_reason& received = WithStream(
      [](auto& ws) -> const websocket::close_reason& { return ws.reason(); });
  if (received.code != websocket::close_code::none) {
    info.code = received.code;
    info.reason = std::string(received.reason.data(), received.reason.size());
  } else if (client_close_code_ != 0) {
    info.code = client_close_code_;
  } else {
    info.code = kCloseCodeAbnormal;
    info.reason = ec ? ec.message() : "connection lost";
  }
  info.by_client = client_close_code_ != 0;
  CloseSocket();
  if (handlers_.on_closed) handlers_.on_closed(info);
}

void WebSocketConnection::CloseSocket() {
  WithStream([](auto& ws) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  });
}

}  // namespace client
}  // namespace switchboard
