#ifndef SWITCHBOARD_GATEWAY_SESSION_H_
#define SWITCHBOARD_GATEWAY_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gateway/auth/claims.h"
#include "gateway/token_bucket.h"
#include "gateway/worker_stats.h"
#include "google/protobuf/struct.pb.h"
#include "gateway/ws/protocol.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::gateway {

class Connection;

// The Switchboard protocol of one connection (proto/switchboard/client/v1,
// docs/protocol.md): authentication, rooms, publishes and their errors. The
// Connection below it does the framing; the worker's LocalRooms does delivery.
// Lives inside its Connection and runs on that connection's worker only.
class Session {
 public:
  Session(Connection& conn, std::string upgrade_token);

  // The WebSocket is open: the connect deadline starts, and a token that came
  // with the upgrade is verified and answered with a pushed Welcome.
  void OnOpen();
  // One complete data message from the client.
  void OnFrame(ws::Opcode type, absl::string_view payload);
  // Deadlines: connect timeout, token expiry. About once a second.
  void OnTick(int64_t now_us);
  // The connection is gone: leave rooms, release the session id.
  void OnClosed();

  // For the worker and LocalRooms.
  bool connected() const { return state_ == State::kConnected; }
  const std::string& user_id() const { return claims_.user_id; }
  const std::string& connection_id() const { return connection_id_; }
  const std::string& session_id() const { return session_id_; }
  const std::string& meta_json() const { return claims_.meta_json; }

  // Encodes and queues a frame for this connection only.
  void SendFrame(const switchboard::client::v1::ServerFrame& frame, MessageClass cls);
  // `retry_after`: when to retry at the earliest (rate limits compute theirs).
  void SendError(uint64_t id, switchboard::client::v1::ErrorCode code, absl::string_view message,
                 absl::string_view room = "",
                 absl::Duration retry_after = absl::ZeroDuration());

  // Server-side membership changes (control plane Subscribe/Unsubscribe).
  // Returns whether the connection joined or left.
  bool ServerJoin(const switchboard::client::v1::Join& join);
  bool ServerLeave(absl::string_view room, absl::string_view reason);
  // A join that failed after it was accepted (the Error was sent): forget the
  // room without a Left frame.
  void AbortJoin(absl::string_view room);

 private:
  enum class State : uint8_t { kAwaitConnect, kConnected };

  void HandleConnect(uint64_t id, const switchboard::client::v1::Connect& connect);
  // Takes over `requested` (same user only) or keeps/assigns a session id.
  void ClaimSession(const std::string& requested);
  void SendWelcome(uint64_t id);
  void HandleJoin(uint64_t id, const switchboard::client::v1::Join& join);
  void HandleLeave(uint64_t id, const switchboard::client::v1::Leave& leave);
  void HandlePublish(uint64_t id, const switchboard::client::v1::Publish& publish);
  void HandleEphemeral(uint64_t id, const switchboard::client::v1::EphemeralPublish& ephemeral);
  void HandleRefresh(uint64_t id, const switchboard::client::v1::RefreshToken& refresh);
  void HandlePresenceQuery(uint64_t id, const switchboard::client::v1::PresenceQuery& query);
  // This connection's presence metadata in a room: the token's `meta` claim
  // with Join.meta merged over it (shared when Join.meta is empty); null if none.
  std::shared_ptr<const google::protobuf::Struct> PresenceMeta(
      const switchboard::client::v1::Join& join);

  // Counts a publish against the rate limit; false (and an error sent) if over.
  bool TakePublishToken(uint64_t id, absl::string_view room);
  bool IsJoined(absl::string_view room) const;
  // Leaves every room the current claims no longer allow (Left with `reason`).
  void LeaveForbiddenRooms(absl::string_view reason);
  void RemoveJoined(absl::string_view room);

  Connection& conn_;
  State state_ = State::kAwaitConnect;
  std::string upgrade_token_;
  auth::Claims claims_;
  std::string connection_id_;
  std::string session_id_;
  std::vector<std::string> rooms_;
  TokenBucket publish_bucket_;
  int64_t opened_us_ = 0;
  TokenBucket bad_frames_;
  int rate_limited_in_a_row_ = 0;
  bool registered_session_ = false;
  std::shared_ptr<const google::protobuf::Struct> token_meta_;
  bool token_meta_parsed_ = false;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_SESSION_H_
