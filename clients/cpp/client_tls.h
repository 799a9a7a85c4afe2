#ifndef SWITCHBOARD_CLIENTS_CPP_CLIENT_TLS_H_
#define SWITCHBOARD_CLIENTS_CPP_CLIENT_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"

namespace switchboard {
namespace client {

// A client TLS context for wss://: TLS 1.2 or later, the peer's certificate
// verified against the PEM certificates of `ca_file`, or the system's trust
// store when it is empty. Host names are checked per connection
// (WebSocketConnection). InvalidArgument naming the file when it cannot be
// used. Shared, read-only, by every connection of a client.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const std::string& ca_file);

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_CLIENT_TLS_H_
