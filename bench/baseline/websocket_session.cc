#include "bench/baseline/websocket_session.h"

#include <utility>

#include "bench/baseline/broadcast_room.h"

namespace switchboard::bench::baseline {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

WebSocketSession::WebSocketSession(net::ip::tcp::socket socket, BroadcastRoom& room,
                                   size_t max_queue)
    : ws_(std::move(socket)), room_(room), max_queue_(max_queue) {}

WebSocketSession::~WebSocketSession() {
  if (joined_) room_.Leave(this);
}

void WebSocketSession::Run() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().set_option(net::ip::tcp::no_delay(true), ignored);
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.binary(true);
  ws_.async_accept(beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  if (ec) return;  // Upgrade refused or peer gone: the session just ends.
  room_.Join(this);
  joined_ = true;
  DoRead();
}

void WebSocketSession::DoRead() {
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
}

void WebSocketSession::OnRead(beast::error_code ec, size_t) {
  if (ec) return Close();
  // Wrapped once, shared by every recipient's queue.
  auto message = std::make_shared<const std::string>(beast::buffers_to_string(buffer_.data()));
  buffer_.consume(buffer_.size());
  room_.Broadcast(message, this);
  DoRead();
}

void WebSocketSession::Send(const std::shared_ptr<const std::string>& message) {
  if (closed_) return;
  if (max_queue_ > 0 && queue_.size() >= max_queue_) return Close();
  queue_.push_back(message);
  if (queue_.size() > 1) return;  // A write is in flight; OnWrite continues.
  DoWrite();
}

void WebSocketSession::DoWrite() {
  ws_.async_write(net::buffer(*queue_.front()),
                  beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
}

void WebSocketSession::OnWrite(beast::error_code ec, size_t) {
  if (ec) return Close();
  queue_.pop_front();
  if (!queue_.empty()) DoWrite();
}

void WebSocketSession::Close() {
  if (closed_) return;
  // Stays in the room (Send ignores it) until destroyed: Close may run inside
  // BroadcastRoom::Broadcast, which is iterating the room. The queue stays
  // too: the write in flight still points into its front buffer.
  closed_ = true;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace switchboard::bench::baseline
