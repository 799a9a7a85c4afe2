#ifndef SWITCHBOARD_GATEWAY_HTTP_UPGRADE_H_
#define SWITCHBOARD_GATEWAY_HTTP_UPGRADE_H_

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/statusor.h"
#include "gateway/codec/frame_codec.h"

namespace switchboard::gateway {

class Worker;

// What an upgrade request asks for, once checked.
struct UpgradeRequest {
  FrameFormat format = FrameFormat::kJson;
  // Subprotocol to echo in the 101 response; empty if the client offered none.
  std::string subprotocol;
  // Token from "Authorization: Bearer" or "?token=" (may be empty).
  std::string token;
  // The Sec-WebSocket-Accept value.
  std::string accept;
};

// A refusal: HTTP status and a short text body.
struct UpgradeRefusal {
  int status = 400;
  std::string reason;
};

// Checks a WebSocket upgrade request (RFC 6455 §4.2.1): GET on /ws, HTTP/1.1,
// Upgrade/Connection headers, Sec-WebSocket-Version 13, a 16-byte key, an
// allowed Origin, and a supported subprotocol ("switchboard.v1.proto" or
// "switchboard.v1.json"; none offered means JSON unless ?format=protobuf).
// Pure: exposed for tests and the fuzzer.
absl::StatusOr<UpgradeRequest> CheckUpgrade(
    const boost::beast::http::request<boost::beast::http::empty_body>& request,
    const std::vector<std::string>& allowed_origins, UpgradeRefusal* refusal);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string WebSocketAccept(absl::string_view key);

// Reads one HTTP request on a new TCP connection, within the handshake
// timeout. A valid WebSocket upgrade becomes a Connection on the same worker
// (Beast reads the request; the gateway's own framing takes the socket after
// the 101). Anything else gets the demo page's static files, or an HTTP error,
// and is closed. Runs on its worker's thread.
class HttpUpgrade : public std::enable_shared_from_this<HttpUpgrade> {
 public:
  HttpUpgrade(Worker& worker, boost::asio::ip::tcp::socket socket);
  void Run();

 private:
  void OnRead(boost::beast::error_code ec);
  void Respond(int status, std::string body, const char* content_type = "text/plain");
  void ServeStatic(absl::string_view target);
  void Upgrade(const UpgradeRequest& upgrade);

  Worker& worker_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser_;
  std::string remote_ip_;
  std::shared_ptr<std::string> out_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_HTTP_UPGRADE_H_
