#ifndef SWITCHBOARD_TESTS_CLIENTS_CPP_FAKE_SERVER_SESSION_H_
#define SWITCHBOARD_TESTS_CLIENTS_CPP_FAKE_SERVER_SESSION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/websocket.hpp"
#include "clients/cpp/frame_format.h"

namespace switchboard {
namespace client {
namespace testing {

// What the fake server saw in one upgrade request.
struct UpgradeRecord {
  int connection = 0;
  std::string target;
  std::string authorization;
  std::string origin;
  std::string offered_subprotocols;
  std::string selected_subprotocol;
};

// One server-side WebSocket connection of FakeServer (Beast owns its I/O).
// It reads the upgrade request, asks its owner how to answer it, then passes
// every message up and writes whatever it is given, one write at a time.
//
// Not thread-safe: all methods and callbacks run on the fake server's thread.
class FakeServerSession
    : public std::enable_shared_from_this<FakeServerSession> {
 public:
  struct Callbacks {
    // Decides the upgrade: fills `record`, returns 0 to accept with
    // record->selected_subprotocol (empty: none), or an HTTP status to
    // decline with.
    std::function<int(UpgradeRecord* record)> on_upgrade;
    // The upgrade succeeded.
    std::function<void(int connection)> on_open;
    std::function<void(int connection, std::string message, bool binary)>
        on_message;
    // The connection ended; `client_code` is the client's close code (0 if
    // the client sent none).
    std::function<void(int connection, uint16_t client_code)> on_closed;
  };

  FakeServerSession(boost::asio::ip::tcp::socket socket, int connection,
                    Callbacks callbacks);

  void Start();
  void Send(std::string message, bool binary);
  void Close(uint16_t code, std::string reason);
  // Closes the TCP connection without a closing handshake.
  void Drop();

  int connection() const { return connection_; }
  // The negotiated format; kProtobuf until the upgrade is done.
  Format format() const { return format_; }
  bool open() const { return open_; }

 private:
  void OnRequest(const boost::beast::error_code& ec);
  void Decline(int status);
  void OnAccept(const boost::beast::error_code& ec);
  void DoRead();
  void OnRead(const boost::beast::error_code& ec);
  void DoWrite();
  void StartClose();
  void Finish();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  const int connection_;
  Callbacks callbacks_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  boost::beast::http::response<boost::beast::http::string_body> decline_;
  Format format_ = Format::kProtobuf;
  bool open_ = false;
  bool finished_ = false;
  bool closing_ = false;
  // A close asked for while frames were still queued goes out after them.
  std::optional<std::pair<uint16_t, std::string>> pending_close_;
  struct Outgoing {
    std::shared_ptr<const std::string> data;
    bool binary;
  };
  std::deque<Outgoing> queue_;
  bool writing_ = false;
};

}  // namespace testing
}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_CLIENTS_CPP_FAKE_SERVER_SESSION_H_
