#ifndef SWITCHBOARD_GATEWAY_CONNECTION_SLOT_H_
#define SWITCHBOARD_GATEWAY_CONNECTION_SLOT_H_

#include <string>
#include <utility>

#include "gateway/connection_limiter.h"

namespace switchboard::gateway {

// One socket's claim on the connection limits, from accept to close: a TLS
// handshake or HTTP upgrade in progress counts like an open WebSocket, so a
// flood of sockets that never finish their handshake is bounded by the same
// --max_connections and --max_connections_per_ip. The slot travels with the
// socket (TlsHandshake, HttpUpgrade, Connection) and is released exactly once,
// when its last holder lets go. Movable, not copyable; used on one thread.
class ConnectionSlot {
 public:
  enum class Kind {
    kNone,      // no claim: the socket is closed at once, unread
    kAdmitted,  // within the limits
    kRefusing,  // over the limits: upgraded only to be told 4009
  };

  // Claims a slot for a new socket from `ip`: admitted if the limits allow,
  // else one of the limiter's refusal slots, else none.
  static ConnectionSlot Claim(ConnectionLimiter& limiter, std::string ip) {
    if (limiter.TryAcquire(ip)) return ConnectionSlot(&limiter, std::move(ip), Kind::kAdmitted);
    if (limiter.TryBeginRefusal()) {
      return ConnectionSlot(&limiter, std::move(ip), Kind::kRefusing);
    }
    return ConnectionSlot(nullptr, std::move(ip), Kind::kNone);
  }

  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept { *this = std::move(other); }
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Release();
      limiter_ = std::exchange(other.limiter_, nullptr);
      ip_ = std::move(other.ip_);
      kind_ = std::exchange(other.kind_, Kind::kNone);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { Release(); }

  Kind kind() const { return kind_; }
  bool admitted() const { return kind_ == Kind::kAdmitted; }
  // The remote IP the slot counts against.
  const std::string& ip() const { return ip_; }

  // Gives the claim back now (idempotent).
  void Release() {
    if (limiter_ != nullptr) {
      if (kind_ == Kind::kAdmitted) limiter_->Release(ip_);
      if (kind_ == Kind::kRefusing) limiter_->EndRefusal();
    }
    limiter_ = nullptr;
    kind_ = Kind::kNone;
  }

 private:
  ConnectionSlot(ConnectionLimiter* limiter, std::string ip, Kind kind)
      : limiter_(limiter), ip_(std::move(ip)), kind_(kind) {}

  ConnectionLimiter* limiter_ = nullptr;
  std::string ip_;
  Kind kind_ = Kind::kNone;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_CONNECTION_SLOT_H_
