// libFuzzer target for the gateway's HTTP upgrade (gateway/http_upgrade.h):
// the first bytes any client sends.
//
// Input: byte 0 picks the gateway's --allowed_origins (bits 0-1, see
// kOrigins) and how TCP splits the request (bits 2-7: 0 = reads of
// kReadChunkBytes, else reads of that many bytes); the rest is what the client
// sends. It is parsed as HttpUpgrade::DoRead does (Beast's request_parser
// with empty_body, the same header and body limits, put() over a buffer fed
// read by read); a complete WebSocket upgrade request then goes to
// CheckUpgrade, as in HttpUpgrade::OnRequest. Checked:
// - nothing crashes, whatever the bytes and however they are split;
// - an accepted upgrade is a GET of /ws over HTTP/1.1 or later from an allowed
//   origin, with Sec-WebSocket-Accept computed from its key, and only the
//   values the gateway may echo in its 101 response (no CR or LF);
// - a refusal is InvalidArgument with one of the documented HTTP statuses and
//   a non-empty reason equal to the status message.
// Any violation aborts, so libFuzzer keeps the input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/http_upgrade.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using switchboard::gateway::CheckUpgrade;
using switchboard::gateway::FrameFormat;
using switchboard::gateway::UpgradeRefusal;
using switchboard::gateway::UpgradeRequest;
using Request = http::request<http::empty_body>;

// Must match gateway/http_upgrade.cc (kMaxHeaderBytes, kReadChunkBytes).
constexpr size_t kMaxHeaderBytes = 8 * 1024;
constexpr size_t kReadChunkBytes = 4 * 1024;

// --allowed_origins settings: empty is same-origin only.
const std::vector<std::string>& Origins(uint8_t selector) {
  static const auto* const kOrigins = new std::vector<std::vector<std::string>>{
      {},
      {"https://app.example.com", "https://*.example.org"},
      {"*"},
      {"http://localhost:8080", "HTTPS://*.Example.NET:8443"},
  };
  return (*kOrigins)[selector % kOrigins->size()];
}

std::string Describe(const Request& request) {
  std::string out = absl::StrCat(std::string(request.method_string()), " ",
                                 std::string(request.target()), " HTTP/", request.version());
  for (const auto& field : request) {
    absl::StrAppend(&out, "\n", std::string(field.name_string()), ": ",
                    std::string(field.value()));
  }
  return out;
}

[[noreturn]] void Fail(absl::string_view what, const Request& request,
                       absl::string_view details = "") {
  std::fprintf(stderr, "http upgrade check failed: %.*s\nrequest:\n%s\n%.*s\n",
               static_cast<int>(what.size()), what.data(), Describe(request).c_str(),
               static_cast<int>(details.size()), details.data());
  std::abort();
}

absl::string_view Field(const Request& request, http::field name) {
  auto value = request[name];
  return absl::string_view(value.data(), value.size());
}

bool HasCrOrLf(absl::string_view s) { return s.find_first_of("\r\n") != absl::string_view::npos; }

// Reference for the origin rule: no Origin (not a browser) or "*" or an
// exact, case-insensitive match always pass; with no list, the Origin's
// authority must be the Host header.
bool OriginMayPass(absl::string_view origin, absl::string_view host,
                   const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  if (allowed.empty()) {
    absl::string_view rest = origin;
    return (absl::ConsumePrefix(&rest, "http://") || absl::ConsumePrefix(&rest, "https://")) &&
           absl::EqualsIgnoreCase(rest, host);
  }
  for (const std::string& pattern : allowed) {
    if (pattern == "*" || absl::EqualsIgnoreCase(pattern, origin)) return true;
    const size_t star = pattern.find("*.");
    if (star != std::string::npos &&
        absl::StartsWithIgnoreCase(origin, absl::string_view(pattern).substr(0, star)) &&
        absl::EndsWithIgnoreCase(origin, absl::string_view(pattern).substr(star + 1))) {
      return true;
    }
  }
  return false;
}

void CheckAccepted(const Request& request, const std::vector<std::string>& allowed,
                   const UpgradeRequest& upgrade) {
  if (request.method() != http::verb::get) Fail("accepted a method other than GET", request);
  if (request.version() < 11) Fail("accepted HTTP/1.0", request);
  absl::string_view target(request.target().data(), request.target().size());
  if (target.substr(0, target.find('?')) != "/ws") Fail("accepted a path other than /ws", request);
  const absl::string_view key = Field(request, http::field::sec_websocket_key);
  if (upgrade.accept != switchboard::gateway::WebSocketAccept(key) ||
      upgrade.accept.size() != 28 || HasCrOrLf(upgrade.accept)) {
    Fail("Sec-WebSocket-Accept does not answer the key", request, upgrade.accept);
  }
  if (!OriginMayPass(Field(request, http::field::origin), Field(request, http::field::host),
                     allowed)) {
    Fail("accepted an origin that is not allowed", request);
  }
  const absl::string_view offered = Field(request, http::field::sec_websocket_protocol);
  if (upgrade.subprotocol.empty()) {
    if (!offered.empty()) Fail("subprotocols offered but none chosen", request);
  } else {
    // Echoed in the 101 response: only one of ours, never client bytes.
    const bool proto = upgrade.subprotocol == switchboard::gateway::kProtobufSubprotocol;
    const bool json = upgrade.subprotocol == switchboard::gateway::kJsonSubprotocol;
    if (!proto && !json) Fail("chose a subprotocol that is not ours", request, upgrade.subprotocol);
    if (upgrade.format != (proto ? FrameFormat::kProtobuf : FrameFormat::kJson)) {
      Fail("frame format does not follow the subprotocol", request, upgrade.subprotocol);
    }
    if (!absl::StrContains(offered, upgrade.subprotocol)) {
      Fail("chose a subprotocol the client did not offer", request, upgrade.subprotocol);
    }
  }
}

void CheckRefused(const Request& request, const absl::Status& status,
                  const UpgradeRefusal& refusal) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Fail("refused with a code other than InvalidArgument", request, status.ToString());
  }
  switch (refusal.status) {
    case 400:
    case 403:
    case 404:
    case 405:
    case 426:
      break;
    default:
      Fail("refused with an undocumented HTTP status", request, std::to_string(refusal.status));
  }
  if (refusal.reason.empty() || refusal.reason != status.message()) {
    Fail("refusal reason is empty or is not the status message", request, refusal.reason);
  }
}

// What HttpUpgrade::OnRequest does with a complete request.
void OnRequest(const Request& request, const std::vector<std::string>& allowed) {
  if (!beast::websocket::is_upgrade(request)) return;  // static files
  UpgradeRefusal refusal;
  absl::StatusOr<UpgradeRequest> upgrade = CheckUpgrade(request, allowed, &refusal);
  if (upgrade.ok()) {
    CheckAccepted(request, allowed, *upgrade);
  } else {
    CheckRefused(request, upgrade.status(), refusal);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::vector<std::string>& allowed = Origins(data[0] & 3);
  const size_t split = data[0] >> 2;
  const size_t read_bytes = split == 0 ? kReadChunkBytes : split;
  absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(0);
  beast::flat_buffer buffer;
  // HttpUpgrade::DoRead: parse what is buffered, then read more.
  for (;;) {
    if (buffer.size() > 0) {
      beast::error_code ec;
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != http::error::need_more) return 0;  // 400 or 431
      if (!ec && parser.is_done()) break;
      if (!ec && used > 0) continue;
    }
    if (buffer.size() > 2 * kMaxHeaderBytes) return 0;  // 431
    if (input.empty()) return 0;                         // EOF: the gateway just closes
    const size_t n = std::min(read_bytes, input.size());
    auto space = buffer.prepare(kReadChunkBytes);
    std::memcpy(space.data(), input.data(), n);
    buffer.commit(n);
    input.remove_prefix(n);
  }
  OnRequest(parser.get(), allowed);
  return 0;
}
