#include "tests/clients/cpp/fake_server_session.h"

#include <utility>

namespace switchboard {
namespace client {
namespace testing {
namespace {

namespace beast = ::boost::beast;
namespace http = ::boost::beast::http;
namespace net = ::boost::asio;
namespace websocket = ::boost::beast::websocket;

}  // namespace

FakeServerSession::FakeServerSession(net::ip::tcp::socket socket,
                                     int connection, Callbacks callbacks)
    : ws_(std::move(socket)),
      connection_(connection),
      callbacks_(std::move(callbacks)) {}

void FakeServerSession::Start() {
  http::async_read(
      ws_.next_layer(), buffer_, request_,
      [self = shared_from_this()](const beast::error_code& ec, size_t) {
        self->OnRequest(ec);
      });
}

void FakeServerSession::OnRequest(const beast::error_code& ec) {
  if (ec) return Finish();
  UpgradeRecord record;
  record.connection = connection_;
  record.target = std::string(request_.target());
  record.authorization = std::string(request_[http::field::authorization]);
  record.origin = std::string(request_[http::field::origin]);
  record.offered_subprotocols =
      std::string(request_[http::field::sec_websocket_protocol]);
  int status = callbacks_.on_upgrade(&record);
  if (status != 0 || !websocket::is_upgrade(request_)) {
    return Decline(status != 0 ? status : 400);
  }
  std::optional<Format> format =
      FormatFromSubprotocol(record.selected_subprotocol);
  format_ = format.value_or(Format::kProtobuf);
  ws_.set_option(
      websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [selected = record.selected_subprotocol](websocket::response_type& res) {
        if (!selected.empty()) {
          res.set(http::field::sec_websocket_protocol, selected);
        }
      }));
  ws_.async_accept(request_,
                   [self = shared_from_this()](const beast::error_code& ec) {
                     self->OnAccept(ec);
                   });
}

void FakeServerSession::Decline(int status) {
  decline_.version(11);
  decline_.result(static_cast<http::status>(status));
  decline_.set(http::field::content_type, "text/plain");
  decline_.body() = "declined by the fake server";
  decline_.keep_alive(false);
  decline_.prepare_payload();
  http::async_write(
      ws_.next_layer(), decline_,
      [self = shared_from_this()](const beast::error_code&, size_t) {
        beast::error_code ignored;
        self->ws_.next_layer().socket().shutdown(
            net::ip::tcp::socket::shutdown_both, ignored);
        self->ws_.next_layer().close();
      });
}

void FakeServerSession::OnAccept(const beast::error_code& ec) {
  if (ec) return Finish();
  open_ = true;
  callbacks_.on_open(connection_);
  DoRead();
}

void FakeServerSession::DoRead() {
  ws_.async_read(buffer_,
                 [self = shared_from_this()](const beast::error_code& ec,
                                             size_t) { self->OnRead(ec); });
}

void FakeServerSession::OnRead(const beast::error_code& ec) {
  if (ec) return Finish();
  std::string message = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  callbacks_.on_message(connection_, std::move(message), ws_.got_binary());
  if (!finished_) DoRead();
}

void FakeServerSession::Send(std::string message, bool binary) {
  if (!open_ || closing_ || finished_ || pending_close_.has_value()) return;
  queue_.push_back(Outgoing{
      std::make_shared<const std::string>(std::move(message)), binary});
  DoWrite();
}

void FakeServerSession::DoWrite() {
  if (writing_ || queue_.empty() || finished_ || closing_) return;
  writing_ = true;
  Outgoing outgoing = std::move(queue_.front());
  queue_.pop_front();
  ws_.binary(outgoing.binary);
  ws_.async_write(net::buffer(*outgoing.data),
                  [self = shared_from_this(), data = outgoing.data](
                      const beast::error_code& ec, size_t) {
                    self->writing_ = false;
                    if (ec) return;
                    self->DoWrite();
                    if (!self->writing_ && self->pending_close_.has_value()) {
                      self->StartClose();
                    }
                  });
}

void FakeServerSession::Close(uint16_t code, std::string reason) {
  if (!open_ || closing_ || finished_ || pending_close_.has_value()) return;
  pending_close_.emplace(code, std::move(reason));
  if (!writing_) StartClose();
}

void FakeServerSession::StartClose() {
  closing_ = true;
  auto [code, reason] = *pending_close_;
  pending_close_.reset();
  ws_.async_close(
      websocket::close_reason(static_cast<websocket::close_code>(code), reason),
      [self = shared_from_this()](const beast::error_code&) {
        self->Finish();
      });
}

void FakeServerSession::Drop() {
  beast::error_code ignored;
  ws_.next_layer().socket().shutdown(net::ip::tcp::socket::shutdown_both,
                                     ignored);
  ws_.next_layer().socket().close(ignored);
}

void FakeServerSession::Finish() {
  if (finished_) return;
  finished_ = true;
  const bool was_open = open_;
  open_ = false;
  queue_.clear();
  Drop();
  if (was_open) {
    // The client's code if it started the closing handshake; when the server
    // closed first, reason() is what the client echoed.
    callbacks_.on_closed(connection_, closing_ ? 0 : ws_.reason().code);
  }
}

}  // namespace testing
}  // namespace client
}  // namespace switchboard
