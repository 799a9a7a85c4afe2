#include "clients/cpp/gateway_url.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard {
namespace client {

absl::Status ApplyGatewayUrl(absl::string_view url, ClientOptions* options) {
  auto invalid = [url](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("gateway URL \"", url, "\": ", why));
  };
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos)
    return invalid("expected ws:// or wss://");
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (scheme != "ws" && scheme != "wss")
    return invalid("the scheme must be ws or wss");
  const bool tls = scheme == "wss";
  absl::string_view rest = url.substr(scheme_end + 3);
  if (absl::StrContains(rest, '#')) return invalid("fragments are not allowed");

  const size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  std::string path = path_start == absl::string_view::npos
                         ? "/ws"
                         : std::string(rest.substr(path_start));
  if (path[0] == '?') path = absl::StrCat("/ws", path);
  if (authority.empty()) return invalid("no host");
  if (absl::StrContains(authority, '@'))
    return invalid("user info is not allowed");

  absl::string_view host;
  absl::string_view port_text;
  if (authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos)
      return invalid("unclosed [ in the host");
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid("unexpected characters after ]");
      port_text = after.substr(1);
      if (port_text.empty()) return invalid("empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return invalid("empty port");
    }
  }
  if (host.empty()) return invalid("no host");
  int port = tls ? 443 : 80;
  if (!port_text.empty()) {
    for (char c : port_text) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c)))
        return invalid("bad port");
    }
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return invalid("the port must be 1-65535");
    }
  }
  options->tls = tls;
  options->host = std::string(host);
  options->port = port;
  options->path = std::move(path);
  return absl::OkStatus();
}

absl::Status ApplyGatewayUrls(absl::string_view urls, ClientOptions* options) {
  ClientOptions parsed = *options;
  parsed.fallback_gateways.clear();
  bool first = true;
  for (absl::string_view url : absl::StrSplit(urls, ',')) {
    url = absl::StripAsciiWhitespace(url);
    ClientOptions one;
    absl::Status status = ApplyGatewayUrl(url, &one);
    if (!status.ok()) return status;
    if (first) {
      parsed.tls = one.tls;
      parsed.host = one.host;
      parsed.port = one.port;
      parsed.path = one.path;
      first = false;
      continue;
    }
    if (one.tls != parsed.tls || one.path != parsed.path) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gateway URL \"", url, "\": every URL of the list needs the same scheme and path"));
    }
    parsed.fallback_gateways.push_back(GatewayAddress{one.host, one.port});
  }
  *options = std::move(parsed);
  return absl::OkStatus();
}

}  // namespace client
}  // namespace switchboard
