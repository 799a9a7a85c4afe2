#ifndef SWITCHBOARD_GATEWAY_HTTP_UPGRADE_H_
#define SWITCHBOARD_GATEWAY_HTTP_UPGRADE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/statusor.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/connection_slot.h"
#include "gateway/transport.h"

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
// Upgrade/Connection headers, Sec-WebSocket-Version 13, a 16-byte key, a Host
// header, an allowed Origin, and a supported subprotocol ("switchboard.v1.proto" or
// "switchboard.v1.json"; none offered means JSON unless ?format=protobuf).
// Pure: exposed for tests and the fuzzer.
absl::StatusOr<UpgradeRequest> CheckUpgrade(
    const boost::beast::http::request<boost::beast::http::empty_body>& request,
    const std::vector<std::string>& allowed_origins, UpgradeRefusal* refusal);

// A probe is a plain `GET /ws?probe=1` (no upgrade headers). Browsers do not
// expose the HTTP status of a refused WebSocket upgrade, so a client whose
// upgrades keep failing asks with a probe what the upgrade would be answered.
bool IsUpgradeProbe(const boost::beast::http::request<boost::beast::http::empty_body>& request);

// What an upgrade from the probe's Origin, Host and ?format= would be answered:
// status 200 when it would be accepted, else the refusal CheckUpgrade gives.
// The caller answers 503 instead of 200 while draining. Pure.
UpgradeRefusal ProbeUpgrade(
    const boost::beast::http::request<boost::beast::http::empty_body>& request,
    const std::vector<std::string>& allowed_origins);

// The probe's JSON body: {"status":403,"reason":"origin not allowed"}.
std::string ProbeAnswerJson(const UpgradeRefusal& answer);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string WebSocketAccept(absl::string_view key);

// Reads one HTTP request on a new connection (plain TCP, or TLS once
// TlsHandshake is done) by `deadline`: the handshake timeout, counted from the
// accept. A valid WebSocket upgrade becomes a Connection on the same worker
// (Beast parses the request; the gateway's own framing takes the transport
// after the 101). Anything else gets the demo page's static files, or an HTTP
// error, and is closed. Runs on its worker's thread.
class HttpUpgrade : public std::enable_shared_from_this<HttpUpgrade> {
 public:
  // `slot` is the socket's claim on the connection limits; an upgrade
  // without an admitted slot is answered 101 and closed with 4009.
  HttpUpgrade(Worker& worker, Transport transport, std::chrono::steady_clock::time_point deadline,
              ConnectionSlot slot);
  void Run();

 private:
  // Parses what has arrived and reads more until the request is complete.
  void DoRead();
  void OnBadRequest(boost::beast::error_code ec);
  void OnRequest();
  // `cors`: readable by any origin, never cached (probe answers).
  void Respond(int status, std::string body, const char* content_type = "text/plain",
               bool cors = false);
  void ServeStatic(absl::string_view target);
  void Upgrade(const UpgradeRequest& upgrade);
  // Sends out_ within `timeout`, then calls written_(true), or written_(false)
  // when the peer is gone.
  void Write(std::chrono::steady_clock::duration timeout, std::function<void(bool)> written);
  void DoWrite();
  void Wait(boost::asio::ip::tcp::socket::wait_type type, void (HttpUpgrade::*next)());
  void ArmTimer(std::chrono::steady_clock::time_point deadline);
  // Ends the exchange: close_notify (TLS), FIN, then the socket is closed.
  void Finish();
  // Closes at once: the peer is gone or too slow.
  void Abandon();

  Worker& worker_;
  Transport transport_;
  boost::asio::steady_timer timer_;
  const std::chrono::steady_clock::time_point deadline_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser_;
  ConnectionSlot slot_;
  std::string out_;
  size_t out_written_ = 0;
  std::function<void(bool)> written_;
  bool done_ = false;  // handed over or closed
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_HTTP_UPGRADE_H_
