#ifndef SWITCHBOARD_CLIENTS_CPP_CLIENT_OPTIONS_H_
#define SWITCHBOARD_CLIENTS_CPP_CLIENT_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "clients/cpp/frame_format.h"
#include "google/protobuf/struct.pb.h"

namespace switchboard {
namespace client {

// One gateway's address.
struct GatewayAddress {
  std::string host;
  int port = 0;
};

// How a Client reaches and talks to a gateway. Plain data; copied into the
// Client at construction.
struct ClientOptions {
  // Where the gateway listens: ws://host:port/path, or wss:// with `tls`.
  // ApplyGatewayUrl (gateway_url.h) sets these four from a URL.
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/ws";
  // More gateways of the same cluster (same path, TLS and token), for
  // deployments without a load balancer in front of the gateways. Connect
  // tries `host`:`port` first and then these in order, until one answers. A
  // reconnect attempt that fails moves on to the next address, round robin,
  // and the session resumes there like on any reconnect: rooms are joined
  // again from the last offset seen, so nothing is skipped or repeated.
  // ApplyGatewayUrls (gateway_url.h) fills this from a list of URLs.
  std::vector<GatewayAddress> fallback_gateways;
  // TLS (wss://). The gateway's certificate must chain to a CA of
  // tls_ca_file (PEM, one or more certificates) or, when that is empty, of
  // the system's trust store, and must name `host` (DNS name or IP address).
  bool tls = false;
  std::string tls_ca_file;

  // Wire format, negotiated as the WebSocket subprotocol.
  Format format = Format::kProtobuf;

  // JWT. Empty: no token at all (the Connect frame goes out without one).
  std::string token;
  enum class TokenPlacement {
    kHeader,        // "Authorization: Bearer <token>" on the upgrade request
    kQuery,         // "?token=<token>" on the upgrade URL
    kConnectFrame,  // Connect.token in the first frame
  };
  TokenPlacement token_placement = TokenPlacement::kHeader;

  // Origin header of the upgrade request; empty: none is sent.
  std::string origin;
  // Connect.client, for the gateway's logs and metrics.
  std::string client_name = "switchboard-cpp/1";

  // Upper bound on one connection attempt: TCP connect, upgrade and Welcome.
  // Also bounds the closing handshake.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Upper bound on one request (Join, Leave, Ping, Publish) from the call to
  // its reply, time spent waiting for a reconnect included.
  absl::Duration request_timeout = absl::Seconds(10);
  // The stream's dedupe window to assume when the gateway's Welcome carries
  // none (or zero); the gateway's --dedupe_window defaults to 2 minutes. A
  // publish sent but not acked is resent with its id after a reconnect only
  // while its first send is younger than the window less a margin (a tenth of
  // it, at most 10 s); older, it is given up as FateUnknown (client_events.h).
  // Zero or negative: 2 minutes.
  absl::Duration dedupe_window = absl::Minutes(2);

  // Reconnect after a drop or a retryable close code, resume every joined room
  // from the last offset seen and send publishes queued meanwhile.
  bool auto_reconnect = false;
  // Delay before reconnect attempt n: uniform in [0, min(cap, base * 2^n)],
  // unless the gateway's GoingAway said when to come back.
  absl::Duration reconnect_backoff_base = absl::Milliseconds(100);
  absl::Duration reconnect_backoff_cap = absl::Seconds(10);
  // Consecutive failed reconnect attempts before giving up; 0 = never give up.
  int max_reconnect_attempts = 0;

  // Largest incoming WebSocket message accepted; a larger one drops the
  // connection (a reconnect then resumes past nothing: the gateway's own limits
  // keep its frames far below this).
  size_t max_message_bytes = 16 << 20;
  // Outgoing frames waiting for the socket; requests beyond fail with
  // kResourceExhausted instead of growing memory without bound.
  size_t max_queued_writes = 10000;
  // Pushed frames and events kept for NextPush / NextEvent / WaitForClose;
  // beyond it the oldest is dropped. 0 = keep none (callback-only use).
  size_t inbox_capacity = 100000;
};

// What Client::Join asks for; see Join in client.proto.
struct JoinOptions {
  // Resume after this offset (replay of everything retained after it).
  std::optional<uint64_t> since_offset;
  // On a fresh join: this many recent messages before live ones.
  uint32_t history_limit = 0;
  // Receive presence join/leave events of the room.
  bool presence = false;
  // Presence metadata for this room.
  google::protobuf::Struct meta;
};

}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENTS_CPP_CLIENT_OPTIONS_H_
