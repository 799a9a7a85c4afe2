#include "bench/baseline/listener.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bench/baseline/websocket_session.h"

namespace switchboard::bench::baseline {

namespace net = boost::asio;
using net::ip::tcp;

Listener::Listener(net::io_context& io, BroadcastRoom& room, size_t max_queue)
    : io_(io), acceptor_(io), room_(room), max_queue_(max_queue) {}

absl::Status Listener::Listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("listen: ", ec.message()));
  return absl::OkStatus();
}

void Listener::Run() { DoAccept(); }

void Listener::DoAccept() {
  acceptor_.async_accept(io_, [self = shared_from_this()](boost::system::error_code ec,
                                                          tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    // Other errors (EMFILE and the like) affect one connection: keep accepting.
    if (!ec) {
      std::make_shared<WebSocketSession>(std::move(socket), self->room_, self->max_queue_)
          ->Run();
    }
    self->DoAccept();
  });
}

}  // namespace switchboard::bench::baseline
