#ifndef SWITCHBOARD_CLIENTS_CPP_GATEWAY_URL_H_
#define SWITCHBOARD_CLIENTS_CPP_GATEWAY_URL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "clients/cpp/client_options.h"

namespace switchboard {
namespace client {

// Sets options->tls, host, port and path from a gateway URL:
// "ws://host[:port][/path]" or "wss://host[:port][/path]", the scheme in any
// case, an IPv6 host in brackets ("wss://[::1]:8443/ws"), the port 80 or 443
// by default, the path "/ws" by default (a query stays part of the path).
// InvalidArgument, naming what is wrong, for anything else (other schemes,
// user info, fragments, bad ports); `options` is then left unchanged.
absl::Status ApplyGatewayUrl(absl::string_view url, ClientOptions* options);

// The same for a comma-separated list of gateway URLs: the first sets
// tls, host, port and path, the others become options->fallback_gateways
// (replacing what was there). Every URL must have the same scheme and path;
// otherwise InvalidArgument naming the URL, and `options` is left unchanged.
absl::Status ApplyGatewayUrls(absl::string_view urls, ClientOptions* options);

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_GATEWAY_URL_H_
