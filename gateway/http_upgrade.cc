#include "gateway/http_upgrade.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/connection.h"
#include "gateway/gateway_metrics.h"
#include "gateway/worker.h"
#include "gateway/ws/frame_encoder.h"

namespace switchboard::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr char kWebSocketGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// Request headers beyond this are refused with 431.
constexpr size_t kMaxHeaderBytes = 8 * 1024;
constexpr size_t kReadChunkBytes = 4 * 1024;

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(n);
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else if (in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// The value of query parameter `name` in `target`, URL-decoded.
std::string QueryParam(absl::string_view target, absl::string_view name) {
  const size_t q = target.find('?');
  if (q == absl::string_view::npos) return "";
  for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first == name) return UrlDecode(kv.second);
  }
  return "";
}

bool HeaderHasToken(absl::string_view value, absl::string_view token) {
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(part), token)) return true;
  }
  return false;
}

// "https://*.example.com" matches "https://a.example.com"; "http://localhost:*"
// matches "http://localhost" and "http://localhost:<port>"; otherwise exact
// (case-insensitive, as origins are).
bool OriginMatches(absl::string_view pattern, absl::string_view origin) {
  if (absl::EndsWith(pattern, ":*")) {
    absl::string_view base = pattern.substr(0, pattern.size() - 2);
    if (!absl::StartsWithIgnoreCase(origin, base)) return false;
    absl::string_view rest = origin.substr(base.size());
    if (rest.empty()) return true;
    if (!absl::ConsumePrefix(&rest, ":") || rest.empty() || rest.size() > 5) return false;
    return std::all_of(rest.begin(), rest.end(),
                       [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
  }
  const size_t star = pattern.find("*.");
  if (star == absl::string_view::npos) return absl::EqualsIgnoreCase(pattern, origin);
  absl::string_view prefix = pattern.substr(0, star);
  absl::string_view suffix = pattern.substr(star + 1);  // ".example.com"
  return origin.size() > prefix.size() + suffix.size() &&
         absl::StartsWithIgnoreCase(origin, prefix) && absl::EndsWithIgnoreCase(origin, suffix);
}

bool OriginAllowed(absl::string_view origin, absl::string_view host,
                   const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;  // not a browser: nothing to hijack
  if (allowed.empty()) {
    // Same origin only: the Origin's host[:port] must equal the Host header.
    absl::string_view rest = origin;
    if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
      return false;
    }
    return absl::EqualsIgnoreCase(rest, host);
  }
  for (const std::string& pattern : allowed) {
    if (pattern == "*" || OriginMatches(pattern, origin)) return true;
  }
  return false;
}

const char* ContentType(absl::string_view path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".js") || absl::EndsWith(path, ".mjs")) return "text/javascript";
  if (absl::EndsWith(path, ".css")) return "text/css";
  if (absl::EndsWith(path, ".json")) return "application/json";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(path, ".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

std::string WebSocketAccept(absl::string_view key) {
  const std::string input = absl::StrCat(key, kWebSocketGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return Base64(digest, sizeof(digest));
}

namespace {

// The checks an upgrade and a probe share, in the order an upgrade runs them
// after its WebSocket headers: Host, Origin, then the frame format (offered
// subprotocols or ?format=). Fills `out`'s format and subprotocol.
absl::Status CheckOriginAndFormat(const http::request<http::empty_body>& req,
                                  const std::vector<std::string>& allowed_origins,
                                  UpgradeRequest* out, UpgradeRefusal* refusal) {
  auto refuse = [refusal](int status, std::string reason) {
    refusal->status = status;
    refusal->reason = reason;
    return absl::InvalidArgumentError(reason);
  };
  absl::string_view host(req[http::field::host].data(), req[http::field::host].size());
  // RFC 6455 §4.1 (and HTTP/1.1) require Host.
  if (host.empty()) return refuse(400, "a Host header is required");
  absl::string_view origin(req[http::field::origin].data(), req[http::field::origin].size());
  if (!OriginAllowed(origin, host, allowed_origins)) {
    return refuse(403, "origin not allowed");
  }
  absl::string_view target(req.target().data(), req.target().size());
  absl::string_view offered(req[http::field::sec_websocket_protocol].data(),
                            req[http::field::sec_websocket_protocol].size());
  if (!offered.empty()) {
    for (absl::string_view p : absl::StrSplit(offered, ',')) {
      p = absl::StripAsciiWhitespace(p);
      if (p == kProtobufSubprotocol || p == kJsonSubprotocol) {
        out->subprotocol = std::string(p);
        out->format = p == kProtobufSubprotocol ? FrameFormat::kProtobuf : FrameFormat::kJson;
        return absl::OkStatus();
      }
    }
    return refuse(400, absl::StrCat("supported subprotocols: ", kProtobufSubprotocol, ", ",
                                    kJsonSubprotocol));
  }
  const std::string format = QueryParam(target, "format");
  if (format == "protobuf") {
    out->format = FrameFormat::kProtobuf;
  } else if (!format.empty() && format != "json") {
    return refuse(400, "format must be json or protobuf");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UpgradeRequest> CheckUpgrade(const http::request<http::empty_body>& req,
                                            const std::vector<std::string>& allowed_origins,
                                            UpgradeRefusal* refusal) {
  auto refuse = [refusal](int status, std::string reason) {
    refusal->status = status;
    refusal->reason = reason;
    return absl::InvalidArgumentError(reason);
  };
  if (req.method() != http::verb::get) return refuse(405, "WebSocket upgrades use GET");
  if (req.version() < 11) return refuse(400, "HTTP/1.1 required");
  absl::string_view target(req.target().data(), req.target().size());
  absl::string_view path = target.substr(0, target.find('?'));
  if (path != "/ws") return refuse(404, "the WebSocket endpoint is /ws");
  absl::string_view upgrade(req[http::field::upgrade].data(), req[http::field::upgrade].size());
  absl::string_view connection(req[http::field::connection].data(),
                               req[http::field::connection].size());
  if (!HeaderHasToken(upgrade, "websocket") || !HeaderHasToken(connection, "upgrade")) {
    return refuse(426, "this endpoint needs a WebSocket upgrade");
  }
  if (req[http::field::sec_websocket_version] != "13") {
    return refuse(426, "Sec-WebSocket-Version must be 13");
  }
  absl::string_view key(req[http::field::sec_websocket_key].data(),
                        req[http::field::sec_websocket_key].size());
  if (key.size() != 24 || key.back() != '=') {
    return refuse(400, "Sec-WebSocket-Key must be 16 bytes, base64");
  }
  UpgradeRequest out;
  absl::Status checked = CheckOriginAndFormat(req, allowed_origins, &out, refusal);
  if (!checked.ok()) return checked;
  absl::string_view auth(req[http::field::authorization].data(),
                         req[http::field::authorization].size());
  if (absl::ConsumePrefix(&auth, "Bearer ") || absl::ConsumePrefix(&auth, "bearer ")) {
    out.token = std::string(absl::StripAsciiWhitespace(auth));
  } else {
    out.token = QueryParam(target, "token");
  }
  out.accept = WebSocketAccept(key);
  return out;
}

bool IsUpgradeProbe(const http::request<http::empty_body>& req) {
  absl::string_view target(req.target().data(), req.target().size());
  return req.method() == http::verb::get && target.substr(0, target.find('?')) == "/ws" &&
         QueryParam(target, "probe") == "1";
}

UpgradeRefusal ProbeUpgrade(const http::request<http::empty_body>& req,
                            const std::vector<std::string>& allowed_origins) {
  UpgradeRefusal answer;
  UpgradeRequest ignored;
  if (req.version() < 11) {
    answer.reason = "HTTP/1.1 required";
  } else if (CheckOriginAndFormat(req, allowed_origins, &ignored, &answer).ok()) {
    answer.status = 200;
    answer.reason = "an upgrade would be accepted";
  }
  return answer;
}

std::string ProbeAnswerJson(const UpgradeRefusal& answer) {
  nlohmann::json body = {{"status", answer.status}, {"reason", answer.reason}};
  return body.dump() + "\n";
}

HttpUpgrade::HttpUpgrade(Worker& worker, Transport transport,
                         std::chrono::steady_clock::time_point deadline, ConnectionSlot slot)
    : worker_(worker),
      transport_(std::move(transport)),
      timer_(worker.io()),
      deadline_(deadline),
      slot_(std::move(slot)) {
  parser_.header_limit(kMaxHeaderBytes);
  parser_.body_limit(0);
  beast::error_code ec;
  transport_.socket().non_blocking(true, ec);  // reads and writes wait via async_wait
}

void HttpUpgrade::Run() {
  // Slowloris guard: the whole request must arrive by the deadline.
  ArmTimer(deadline_);
  DoRead();
}

void HttpUpgrade::ArmTimer(std::chrono::steady_clock::time_point deadline) {
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    // A handler already queued when the timer was re-armed sees no error:
    // only a deadline that has really passed closes the socket.
    if (ec || self->done_ || self->timer_.expiry() > std::chrono::steady_clock::now()) return;
    self->done_ = true;
    self->transport_.Close();  // pending waits fail and drop their references
    self->slot_.Release();
  });
}

void HttpUpgrade::Wait(net::ip::tcp::socket::wait_type type, void (HttpUpgrade::*next)()) {
  transport_.socket().async_wait(type, [self = shared_from_this(), next](beast::error_code ec) {
    if (self->done_) return;
    if (ec) return self->Abandon();
    ((*self).*next)();
  });
}

void HttpUpgrade::DoRead() {
  for (;;) {
    if (buffer_.size() > 0) {
      beast::error_code ec;
      const size_t used = parser_.put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec && ec != http::error::need_more) return OnBadRequest(ec);
      if (!ec && parser_.is_done()) return OnRequest();
      if (!ec && used > 0) continue;
    }
    // The parser refuses headers past kMaxHeaderBytes first; this only
    // bounds the buffer should that ever change.
    if (buffer_.size() > 2 * kMaxHeaderBytes) return OnBadRequest(http::error::header_limit);
    beast::error_code ec;
    auto space = buffer_.prepare(kReadChunkBytes);
    const size_t n = transport_.ReadSome(static_cast<char*>(space.data()), space.size(), ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      return Wait(net::ip::tcp::socket::wait_read, &HttpUpgrade::DoRead);
    }
    if (ec) return Abandon();  // EOF, reset or a broken TLS session: nobody to answer
    buffer_.commit(n);
  }
}

void HttpUpgrade::OnBadRequest(beast::error_code ec) {
  if (ec == http::error::header_limit) return Respond(431, "request headers too large\n");
  Respond(400, "bad HTTP request\n");
}

void HttpUpgrade::Abandon() {
  done_ = true;
  written_ = nullptr;  // it may hold a reference to this object
  timer_.cancel();
  transport_.Close();
  slot_.Release();
}

void HttpUpgrade::Respond(int status, std::string body, const char* content_type, bool cors) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "switchboard");
  res.set(http::field::content_type, content_type);
  if (cors) {
    // A probe's answer says only what the upgrade's answer would have said:
    // any page may read it (that is what lets a refused page learn why).
    res.set(http::field::access_control_allow_origin, "*");
    res.set(http::field::cache_control, "no-store");
  } else {
    // The demo is rebuilt in place; make browsers revalidate it.
    res.set(http::field::cache_control, "no-cache");
  }
  if (status == 426) res.set(http::field::sec_websocket_version, "13");
  res.keep_alive(false);
  res.body() = std::move(body);
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  out_ = out.str();
  Write(std::chrono::seconds(10), [self = shared_from_this()](bool) { self->Finish(); });
}

void HttpUpgrade::Write(std::chrono::steady_clock::duration timeout,
                        std::function<void(bool)> written) {
  out_written_ = 0;
  written_ = std::move(written);
  ArmTimer(std::chrono::steady_clock::now() + timeout);
  DoWrite();
}

void HttpUpgrade::DoWrite() {
  beast::error_code ec;
  while (out_written_ < out_.size()) {
    net::const_buffer rest(out_.data() + out_written_, out_.size() - out_written_);
    out_written_ += transport_.WriteSome(&rest, 1, ec);
    if (ec) break;
  }
  if (!ec) transport_.FlushOutput(ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    return Wait(net::ip::tcp::socket::wait_write, &HttpUpgrade::DoWrite);
  }
  auto written = std::move(written_);
  written_ = nullptr;
  written(!ec);
}

void HttpUpgrade::Finish() {
  done_ = true;
  timer_.cancel();
  beast::error_code ignored;
  transport_.ShutdownSend(ignored);  // best effort: the peer may be gone
  transport_.Close();
  slot_.Release();
}

void HttpUpgrade::OnRequest() {
  const auto& req = parser_.get();
  GatewayContext& ctx = worker_.ctx();
  if (IsUpgradeProbe(req)) {
    UpgradeRefusal answer = ProbeUpgrade(req, ctx.options->allowed_origins);
    if (answer.status == 200 && ctx.draining.load()) {
      answer = UpgradeRefusal{503, "gateway draining: connect to another one"};
    }
    return Respond(answer.status, ProbeAnswerJson(answer), "application/json", /*cors=*/true);
  }
  if (!beast::websocket::is_upgrade(req)) {
    return ServeStatic(absl::string_view(req.target().data(), req.target().size()));
  }
  if (ctx.draining.load()) return Respond(503, "gateway draining: connect to another one\n");
  UpgradeRefusal refusal;
  auto upgrade = CheckUpgrade(req, ctx.options->allowed_origins, &refusal);
  if (!upgrade.ok()) return Respond(refusal.status, refusal.reason + "\n");
  Upgrade(*upgrade);
}

void HttpUpgrade::ServeStatic(absl::string_view target) {
  const std::string& dir = worker_.ctx().options->static_dir;
  absl::string_view path = target.substr(0, target.find('?'));
  if (dir.empty()) return Respond(404, "not found\n");
  if (path == "/") path = "/index.html";
  for (char c : path) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '.' && c != '-' &&
        c != '_') {
      return Respond(404, "not found\n");
    }
  }
  if (absl::StrContains(path, "..")) return Respond(404, "not found\n");
  std::ifstream file(absl::StrCat(dir, path), std::ios::binary);
  if (!file) return Respond(404, "not found\n");
  std::stringstream content;
  content << file.rdbuf();
  Respond(200, content.str(), ContentType(path));
}

void HttpUpgrade::Upgrade(const UpgradeRequest& upgrade) {
  std::string response = absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      upgrade.accept, "\r\n");
  if (!upgrade.subprotocol.empty()) {
    absl::StrAppend(&response, "Sec-WebSocket-Protocol: ", upgrade.subprotocol, "\r\n");
  }
  absl::StrAppend(&response, "\r\n");
  const bool admitted = slot_.admitted();
  if (!admitted) {
    // Upgrade, then close with 4009 so that browsers can see why.
    worker_.stats().closes[CloseCodeSlot(4009)].Add();
    absl::StrAppend(&response,
                    ws::EncodeCloseFrame(static_cast<uint16_t>(
                                             switchboard::client::v1::CLOSE_CODE_TOO_MANY_CONNECTIONS),
                                         "too many connections"));
  }
  out_ = std::move(response);
  Write(std::chrono::seconds(10), [self = shared_from_this(), admitted, format = upgrade.format,
                                   token = upgrade.token](bool ok) mutable {
    Worker& worker = self->worker_;
    if (!ok || !admitted) return self->Finish();
    self->done_ = true;
    self->timer_.cancel();
    std::string leftover(static_cast<const char*>(self->buffer_.data().data()),
                         self->buffer_.size());
    auto conn = std::make_shared<Connection>(worker, std::move(self->transport_), format,
                                             std::move(self->slot_), std::move(token));
    worker.Adopt(conn);
    conn->Start(std::move(leftover));
  });
}

}  // namespace switchboard::gateway
