#include "gateway/session.h"

#include <nats/nats.h>

#include "common/proto_time.h"
#include "common/random_id.h"
#include "google/protobuf/util/json_util.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/room_name.h"
#include "gateway/auth/auth_failure.h"
#include "gateway/ban_list.h"
#include "gateway/codec/frame_codec.h"
#include "gateway/codec/shared_frame.h"
#include "gateway/connection.h"
#include "gateway/presence_queries.h"
#include "gateway/session_directory.h"
#include "gateway/worker.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::gateway {

namespace cv1 = switchboard::client::v1;
using cv1::ErrorCode;
using cv1::ServerFrame;

namespace {

uint16_t Code(cv1::CloseCode code) { return static_cast<uint16_t>(code); }




// Message ids: 1-64 printable ASCII characters other than '|' (the dedupe key
// separator) and space.
bool ValidMessageId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~' || c == '|') return false;
  }
  return true;
}

MessageClass ClassOf(const cv1::ClientFrame& frame) {
  switch (frame.kind_case()) {
    case cv1::ClientFrame::kPublish:
      return IsEphemeralRoom(frame.publish().room()) ? MessageClass::kEphemeral
                                                     : MessageClass::kPersisted;
    case cv1::ClientFrame::kEphemeral:
      return MessageClass::kEphemeral;
    default:
      return MessageClass::kControl;
  }
}

}  // namespace

Session::Session(Connection& conn, std::string upgrade_token)
    : conn_(conn),
      upgrade_token_(std::move(upgrade_token)),
      publish_bucket_(conn.worker().ctx().options->limits.publish_rate,
                      conn.worker().ctx().options->limits.publish_burst),
      bad_frames_(conn.worker().ctx().options->limits.bad_frames_per_minute / 60,
                  conn.worker().ctx().options->limits.max_bad_frames) {}

void Session::SendFrame(const ServerFrame& frame, MessageClass cls) {
  conn_.Send(EncodeSharedFrame(frame, conn_.format()), cls);
}

void Session::SendError(uint64_t id, ErrorCode code, absl::string_view message,
                        absl::string_view room, absl::Duration retry_after) {
  ServerFrame frame;
  frame.set_id(id);
  auto* error = frame.mutable_error();
  error->set_code(code);
  error->set_message(std::string(message));
  error->set_room(std::string(room));
  if (code == cv1::ERROR_CODE_RATE_LIMITED) {
    ToProto(absl::Microseconds(std::max<int64_t>(
                    1000, publish_bucket_.WaitMicros(conn_.worker().NowMicros()))),
                error->mutable_retry_after());
  } else if (retry_after > absl::ZeroDuration()) {
    ToProto(retry_after, error->mutable_retry_after());
  }
  conn_.worker().stats().errors[static_cast<size_t>(code) & 15].Add();
  SendFrame(frame, MessageClass::kControl);
}

void Session::OnFrame(ws::Opcode type, absl::string_view payload) {
  const bool binary_session = conn_.format() == FrameFormat::kProtobuf;
  if ((type == ws::Opcode::kBinary) != binary_session) {
    return conn_.Close(Code(cv1::CLOSE_CODE_UNSUPPORTED_DATA),
                       binary_session ? "this session speaks switchboard.v1.proto: binary frames"
                                      : "this session speaks switchboard.v1.json: text frames");
  }
  cv1::ClientFrame frame;
  absl::Status status = DecodeClientFrame(payload, conn_.format(), &frame);
  if (!status.ok()) {
    if (!bad_frames_.TryTake(conn_.worker().NowMicros())) {
      return conn_.Close(Code(cv1::CLOSE_CODE_BAD_FRAMES), "too many bad frames");
    }
    if (absl::IsUnimplemented(status)) {
      return SendError(frame.id(), cv1::ERROR_CODE_UNSUPPORTED, status.message());
    }
    return SendError(0, cv1::ERROR_CODE_BAD_REQUEST, status.message());
  }
  const MessageClass cls = ClassOf(frame);
  conn_.worker().stats().messages_in[static_cast<int>(cls)].Add();
  conn_.worker().stats().bytes_in[static_cast<int>(cls)].Add(payload.size());

  if (state_ == State::kAwaitConnect && frame.kind_case() != cv1::ClientFrame::kConnect &&
      frame.kind_case() != cv1::ClientFrame::kPing) {
    return SendError(frame.id(), cv1::ERROR_CODE_NOT_CONNECTED, "send Connect first");
  }
  switch (frame.kind_case()) {
    case cv1::ClientFrame::kConnect:
      return HandleConnect(frame.id(), frame.connect());
    case cv1::ClientFrame::kJoin:
      return HandleJoin(frame.id(), frame.join());
    case cv1::ClientFrame::kLeave:
      return HandleLeave(frame.id(), frame.leave());
    case cv1::ClientFrame::kPublish:
      return HandlePublish(frame.id(), frame.publish());
    case cv1::ClientFrame::kEphemeral:
      return HandleEphemeral(frame.id(), frame.ephemeral());
    case cv1::ClientFrame::kPing: {
      ServerFrame pong;
      pong.set_id(frame.id());
      ToProto(absl::Now(), pong.mutable_pong()->mutable_server_time());
      return SendFrame(pong, MessageClass::kControl);
    }
    case cv1::ClientFrame::kRefresh:
      return HandleRefresh(frame.id(), frame.refresh());
    case cv1::ClientFrame::kPresenceQuery:
      return HandlePresenceQuery(frame.id(), frame.presence_query());
    case cv1::ClientFrame::KIND_NOT_SET:
      break;
  }
  // A kind this gateway does not know counts against the bad-frame budget.
  if (!bad_frames_.TryTake(conn_.worker().NowMicros())) {
    return conn_.Close(Code(cv1::CLOSE_CODE_BAD_FRAMES), "too many bad frames");
  }
  SendError(frame.id(), cv1::ERROR_CODE_UNSUPPORTED, "unknown frame type");
}

void Session::OnOpen() {
  opened_us_ = conn_.worker().NowMicros();
  // A token on the upgrade authenticates at once: Welcome is pushed without
  // waiting for Connect (which a client may still send, to resume a session).
  if (!upgrade_token_.empty()) HandleConnect(0, cv1::Connect());
}

void Session::HandleConnect(uint64_t id, const cv1::Connect& connect) {
  Worker& worker = conn_.worker();
  GatewayContext& ctx = worker.ctx();
  if (state_ == State::kAwaitConnect) {
    const std::string token = connect.token().empty() ? upgrade_token_ : connect.token();
    upgrade_token_.clear();
    if (token.empty()) {
      worker.stats().auth_failures[static_cast<int>(auth::AuthFailureReason::kMalformed)].Add();
      SendError(id, cv1::ERROR_CODE_UNAUTHENTICATED,
                "no token: send it in Connect.token, the Authorization header or ?token=");
      return conn_.Close(Code(cv1::CLOSE_CODE_UNAUTHENTICATED), "no token");
    }
    auto claims = ctx.verifier->Verify(token, absl::Now());
    if (!claims.ok()) {
      auto reason = auth::GetAuthFailureReason(claims.status());
      if (reason) worker.stats().auth_failures[static_cast<int>(*reason)].Add();
      SendError(id, cv1::ERROR_CODE_UNAUTHENTICATED, claims.status().message());
      const bool expired = reason == auth::AuthFailureReason::kExpired;
      return conn_.Close(
          Code(expired ? cv1::CLOSE_CODE_TOKEN_EXPIRED : cv1::CLOSE_CODE_UNAUTHENTICATED),
          claims.status().message());
    }
    const absl::Time now = absl::Now();
    if (auto ban = ctx.bans->Find(claims->user_id, now)) {
      // "banned until 2026-12-04T20:00:00Z: spamming"; clients parse the time
      // to wait before retrying, and show the reason.
      std::string reason = absl::StrCat(
          "banned until ", absl::FormatTime(absl::RFC3339_sec, ban->until, absl::UTCTimeZone()));
      if (!ban->reason.empty()) absl::StrAppend(&reason, ": ", ban->reason);
      SendError(id, cv1::ERROR_CODE_PERMISSION_DENIED, reason, /*room=*/"", ban->until - now);
      return conn_.Close(Code(cv1::CLOSE_CODE_KICKED), reason);
    }
    claims_ = std::move(*claims);
    state_ = State::kConnected;
    connection_id_ = absl::StrCat(ctx.options->gateway_id, "-", ctx.instance_tag, "-",
                                  worker.index(), "-", worker.NextConnectionSerial());
  } else if (!connect.token().empty()) {
    // Connect on an authenticated session (after a pushed Welcome) resumes a
    // session id; a token there must be for the same user.
    auto claims = ctx.verifier->Verify(connect.token(), absl::Now());
    if (!claims.ok() || claims->user_id != claims_.user_id) {
      return SendError(id, cv1::ERROR_CODE_UNAUTHENTICATED,
                       "Connect on an authenticated session must carry the same user's token");
    }
    claims_ = std::move(*claims);
    token_meta_.reset();
    token_meta_parsed_ = false;
    LeaveForbiddenRooms("the new token does not allow this room");
  }
  ClaimSession(connect.session_id());
  SendWelcome(id);
  for (const cv1::Join& join : connect.joins()) HandleJoin(id, join);
}

void Session::ClaimSession(const std::string& requested) {
  GatewayContext& ctx = conn_.worker().ctx();
  if (registered_session_ && (requested.empty() || requested == session_id_)) return;
  // Session ids are unguessable; a client may only take over a session id
  // that belongs to the same user.
  SessionDirectory::Holder me{claims_.user_id, connection_id_, &conn_.worker()};
  SessionDirectory::Holder replaced;
  bool claimed = false;
  if (!requested.empty() && requested.size() <= 64) {
    claimed = ctx.sessions->Claim(requested, me, &replaced);
  }
  if (!claimed && registered_session_) return;  // keep the id we have
  if (registered_session_) ctx.sessions->Release(session_id_, connection_id_);
  if (claimed) {
    session_id_ = requested;
  } else {
    session_id_ = RandomId();
    ctx.sessions->Claim(session_id_, me, nullptr);
  }
  registered_session_ = true;
  if (claimed && ctx.nats != nullptr) {
    // The old connection may live on another gateway: tell them all.
    switchboard::bus::v1::Command command;
    auto* claim = command.mutable_session_claim();
    claim->set_session_id(session_id_);
    claim->set_user_id(claims_.user_id);
    claim->set_connection_id(connection_id_);
    const std::string data = command.SerializeAsString();
    const std::string subject = ctx.subjects.AllGateways();
    // Best effort: if NATS is down, only this gateway's holder is replaced.
    natsConnection_Publish(ctx.nats->raw(), subject.c_str(), data.data(),
                           static_cast<int>(data.size()));
  }
  if (replaced.worker != nullptr && replaced.connection_id != connection_id_) {
    Worker* old_worker = replaced.worker;
    std::string old_conn = replaced.connection_id;
    old_worker->Post([old_worker, old_conn] {
      if (Connection* c = old_worker->FindConnection(old_conn)) {
        c->Close(Code(cv1::CLOSE_CODE_REPLACED), "replaced by a newer connection");
      }
    });
  }
}

void Session::SendWelcome(uint64_t id) {
  GatewayContext& ctx = conn_.worker().ctx();
  ServerFrame frame;
  frame.set_id(id);
  auto* welcome = frame.mutable_welcome();
  welcome->set_connection_id(connection_id_);
  welcome->set_session_id(session_id_);
  welcome->set_user_id(claims_.user_id);
  welcome->set_gateway_id(ctx.options->gateway_id);
  const auto& limits = ctx.options->limits;
  ToProto(limits.ping_interval, welcome->mutable_ping_interval());
  ToProto(limits.ping_timeout, welcome->mutable_ping_timeout());
  // The gateway runs only against a stream whose settings equal its flags
  // (fanout::EnsureStream), so its flag is the stream's window.
  ToProto(ctx.options->stream.dedupe_window, welcome->mutable_dedupe_window());
  auto* l = welcome->mutable_limits();
  l->set_max_message_bytes(static_cast<uint32_t>(limits.max_message_bytes));
  l->set_max_payload_bytes(static_cast<uint32_t>(limits.max_payload_bytes));
  l->set_max_rooms(static_cast<uint32_t>(limits.max_rooms));
  l->set_publish_rate(limits.publish_rate);
  l->set_publish_burst(static_cast<uint32_t>(limits.publish_burst));
  ToProto(claims_.expires_at, welcome->mutable_token_expires_at());
  SendFrame(frame, MessageClass::kControl);
}

bool Session::IsJoined(absl::string_view room) const {
  for (const std::string& r : rooms_) {
    if (r == room) return true;
  }
  return false;
}

void Session::RemoveJoined(absl::string_view room) {
  for (size_t i = 0; i < rooms_.size(); ++i) {
    if (rooms_[i] == room) {
      rooms_[i] = std::move(rooms_.back());
      rooms_.pop_back();
      return;
    }
  }
}

void Session::HandleJoin(uint64_t id, const cv1::Join& join) {
  if (absl::Status s = ValidateRoomName(join.room()); !s.ok()) {
    return SendError(id, cv1::ERROR_CODE_INVALID_ROOM, s.message(), join.room());
  }
  if (!claims_.CanJoin(join.room())) {
    return SendError(id, cv1::ERROR_CODE_PERMISSION_DENIED, "the token does not allow this room",
                     join.room());
  }
  if (IsJoined(join.room())) {
    return SendError(id, cv1::ERROR_CODE_ALREADY_JOINED, "already joined", join.room());
  }
  if (static_cast<int>(rooms_.size()) >= conn_.worker().ctx().options->limits.max_rooms) {
    return SendError(id, cv1::ERROR_CODE_TOO_MANY_ROOMS,
                     absl::StrCat("at most ", rooms_.size(), " rooms per connection"), join.room());
  }
  rooms_.push_back(join.room());
  LocalRooms::JoinRequest request;
  request.reply_id = id;
  request.room = join.room();
  if (join.has_since_offset()) request.since_offset = join.since_offset();
  request.history_limit = std::min<uint32_t>(join.history_limit(), 1000);
  request.presence = join.presence();
  request.meta = PresenceMeta(join);
  conn_.worker().stats().joins.Add();
  conn_.worker().rooms().Join(&conn_, std::move(request));
}

bool Session::ServerJoin(const cv1::Join& join) {
  if (state_ != State::kConnected || IsJoined(join.room()) || !ValidateRoomName(join.room()).ok()) {
    return false;
  }
  HandleJoin(0, join);
  return IsJoined(join.room());
}

bool Session::ServerLeave(absl::string_view room, absl::string_view reason) {
  if (!IsJoined(room)) return false;
  RemoveJoined(room);
  conn_.worker().rooms().Leave(&conn_, std::string(room));
  ServerFrame frame;
  frame.mutable_left()->set_room(std::string(room));
  frame.mutable_left()->set_reason(std::string(reason));
  SendFrame(frame, MessageClass::kControl);
  return true;
}

void Session::AbortJoin(absl::string_view room) {
  if (!IsJoined(room)) return;
  RemoveJoined(room);
  conn_.worker().rooms().Leave(&conn_, std::string(room));
}

std::shared_ptr<const google::protobuf::Struct> Session::PresenceMeta(const cv1::Join& join) {
  if (!token_meta_parsed_) {
    token_meta_parsed_ = true;
    if (!claims_.meta_json.empty()) {
      auto meta = std::make_shared<google::protobuf::Struct>();
      // The verifier accepted `meta` as a JSON object; a parse failure here
      // would be a verifier bug, and costs only the metadata.
      if (google::protobuf::util::JsonStringToMessage(claims_.meta_json, meta.get()).ok() &&
          meta->fields_size() > 0) {
        token_meta_ = std::move(meta);
      }
    }
  }
  if (join.meta().fields_size() == 0) return token_meta_;
  auto merged = std::make_shared<google::protobuf::Struct>();
  if (token_meta_ != nullptr) *merged = *token_meta_;
  for (const auto& [key, value] : join.meta().fields()) (*merged->mutable_fields())[key] = value;
  return merged;
}

void Session::HandleLeave(uint64_t id, const cv1::Leave& leave) {
  if (!IsJoined(leave.room())) {
    return SendError(id, cv1::ERROR_CODE_NOT_JOINED, "not joined", leave.room());
  }
  RemoveJoined(leave.room());
  conn_.worker().rooms().Leave(&conn_, leave.room());
  ServerFrame frame;
  frame.set_id(id);
  frame.mutable_left()->set_room(leave.room());
  SendFrame(frame, MessageClass::kControl);
}

bool Session::TakePublishToken(uint64_t id, absl::string_view room) {
  if (publish_bucket_.TryTake(conn_.worker().NowMicros())) {
    rate_limited_in_a_row_ = 0;
    return true;
  }
  if (++rate_limited_in_a_row_ > conn_.worker().ctx().options->limits.max_rate_limited_in_a_row) {
    conn_.Close(Code(cv1::CLOSE_CODE_RATE_LIMITED), "kept publishing while rate-limited");
    return false;
  }
  SendError(id, cv1::ERROR_CODE_RATE_LIMITED, "publish rate limit exceeded", room);
  return false;
}

void Session::HandlePublish(uint64_t id, const cv1::Publish& publish) {
  GatewayContext& ctx = conn_.worker().ctx();
  if (absl::Status s = ValidateRoomName(publish.room()); !s.ok()) {
    return SendError(id, cv1::ERROR_CODE_INVALID_ROOM, s.message(), publish.room());
  }
  if (!claims_.CanPublish(publish.room())) {
    return SendError(id, cv1::ERROR_CODE_PERMISSION_DENIED,
                     "the token does not allow publishing to this room", publish.room());
  }
  if (publish.payload().ByteSizeLong() > ctx.options->limits.max_payload_bytes) {
    return SendError(id, cv1::ERROR_CODE_PAYLOAD_TOO_LARGE,
                     absl::StrCat("payload over ", ctx.options->limits.max_payload_bytes, " bytes"),
                     publish.room());
  }
  if (!publish.message_id().empty() && !ValidMessageId(publish.message_id())) {
    return SendError(id, cv1::ERROR_CODE_BAD_REQUEST,
                     "message_id must be 1-64 printable ASCII characters without '|'",
                     publish.room());
  }
  if (!TakePublishToken(id, publish.room())) return;

  switchboard::bus::v1::Publication pub;
  pub.set_room(publish.room());
  pub.set_message_id(publish.message_id().empty() ? RandomId() : publish.message_id());
  pub.mutable_sender()->set_user_id(claims_.user_id);
  pub.mutable_sender()->set_connection_id(connection_id_);
  ToProto(absl::Now(), pub.mutable_time());
  *pub.mutable_payload() = publish.payload();

  auto reply = [room = publish.room(), message_id = pub.message_id(), id](
                   uint64_t offset, bool duplicate) {
    ServerFrame frame;
    frame.set_id(id);
    auto* ack = frame.mutable_publish_ack();
    ack->set_room(room);
    ack->set_offset(offset);
    ack->set_message_id(message_id);
    ack->set_duplicate(duplicate);
    return frame;
  };
  if (IsEphemeralRoom(publish.room())) {
    absl::Status s = ctx.publisher->PublishEphemeral(pub);
    if (!s.ok()) return SendError(id, cv1::ERROR_CODE_UNAVAILABLE, s.message(), publish.room());
    return SendFrame(reply(0, false), MessageClass::kControl);
  }
  // The ack comes back on a NATS thread: hop to this worker, and answer only
  // if the connection is still there.
  Worker* worker = &conn_.worker();
  std::weak_ptr<Connection> weak = conn_.shared_from_this();
  ctx.publisher->PublishPersisted(pub, [worker, weak, reply, id, room = publish.room()](
                                           absl::StatusOr<fanout::PublishAck> ack) {
    worker->Post([weak, reply, id, room, ack = std::move(ack)] {
      auto conn = weak.lock();
      if (conn == nullptr || !conn->open()) return;
      if (!ack.ok()) {
        return conn->session().SendError(
            id, cv1::ERROR_CODE_UNAVAILABLE,
            absl::StrCat("not stored, retry with the same message_id: ", ack.status().message()),
            room);
      }
      conn->session().SendFrame(reply(ack->offset, ack->duplicate), MessageClass::kControl);
    });
  });
}

void Session::HandleEphemeral(uint64_t id, const cv1::EphemeralPublish& ephemeral) {
  if (!IsJoined(ephemeral.room())) {
    return SendError(id, cv1::ERROR_CODE_NOT_JOINED, "join the room first", ephemeral.room());
  }
  if (!claims_.CanPublish(ephemeral.room())) {
    return SendError(id, cv1::ERROR_CODE_PERMISSION_DENIED,
                     "the token does not allow publishing to this room", ephemeral.room());
  }
  GatewayContext& ctx = conn_.worker().ctx();
  if (ephemeral.payload().ByteSizeLong() > ctx.options->limits.max_payload_bytes) {
    return SendError(id, cv1::ERROR_CODE_PAYLOAD_TOO_LARGE, "payload too large", ephemeral.room());
  }
  if (!TakePublishToken(id, ephemeral.room())) return;
  switchboard::bus::v1::Publication pub;
  pub.set_room(ephemeral.room());
  pub.mutable_sender()->set_user_id(claims_.user_id);
  pub.mutable_sender()->set_connection_id(connection_id_);
  ToProto(absl::Now(), pub.mutable_time());
  *pub.mutable_payload() = ephemeral.payload();
  pub.mutable_ephemeral()->set_type(ephemeral.type() == cv1::EPHEMERAL_TYPE_UNSPECIFIED
                                        ? cv1::EPHEMERAL_TYPE_CUSTOM
                                        : ephemeral.type());
  pub.mutable_ephemeral()->set_name(ephemeral.name());
  absl::Status s = ctx.publisher->PublishEphemeral(pub);
  if (!s.ok() && id != 0) SendError(id, cv1::ERROR_CODE_UNAVAILABLE, s.message(), ephemeral.room());
}

void Session::HandleRefresh(uint64_t id, const cv1::RefreshToken& refresh) {
  auto claims = conn_.worker().ctx().verifier->Verify(refresh.token(), absl::Now());
  if (!claims.ok()) {
    auto reason = auth::GetAuthFailureReason(claims.status());
    if (reason) conn_.worker().stats().auth_failures[static_cast<int>(*reason)].Add();
    return SendError(id, cv1::ERROR_CODE_UNAUTHENTICATED, claims.status().message());
  }
  if (claims->user_id != claims_.user_id) {
    return SendError(id, cv1::ERROR_CODE_PERMISSION_DENIED, "a refreshed token must be for the same user");
  }
  claims_ = std::move(*claims);
  token_meta_.reset();
  token_meta_parsed_ = false;
  LeaveForbiddenRooms("the refreshed token does not allow this room");
  ServerFrame frame;
  frame.set_id(id);
  ToProto(claims_.expires_at, frame.mutable_token_refreshed()->mutable_token_expires_at());
  SendFrame(frame, MessageClass::kControl);
}

void Session::LeaveForbiddenRooms(absl::string_view reason) {
  std::vector<std::string> rooms = rooms_;
  for (const std::string& room : rooms) {
    if (!claims_.CanJoin(room)) ServerLeave(room, reason);
  }
}

void Session::HandlePresenceQuery(uint64_t id, const cv1::PresenceQuery& query) {
  if (!IsJoined(query.room())) {
    return SendError(id, cv1::ERROR_CODE_NOT_JOINED, "join the room first", query.room());
  }
  PresenceQueries* queries = conn_.worker().ctx().presence_queries;
  if (queries == nullptr) {
    return SendError(id, cv1::ERROR_CODE_UNAVAILABLE, "presence is not available", query.room());
  }
  const uint32_t limit = query.limit() == 0 ? 100 : std::min<uint32_t>(query.limit(), 1000);
  queries->Query(conn_.shared_from_this(), id, query.room(), limit);
}

void Session::OnTick(int64_t now_us) {
  const auto& limits = conn_.worker().ctx().options->limits;
  if (state_ == State::kAwaitConnect) {
    if (now_us - opened_us_ > absl::ToInt64Microseconds(limits.connect_timeout)) {
      conn_.Close(Code(cv1::CLOSE_CODE_CONNECT_TIMEOUT), "no Connect frame in time");
    }
    return;
  }
  if (absl::Now() > claims_.expires_at + conn_.worker().ctx().verifier->leeway()) {
    SendError(0, cv1::ERROR_CODE_UNAUTHENTICATED, "token expired; reconnect with a new token");
    conn_.Close(Code(cv1::CLOSE_CODE_TOKEN_EXPIRED), "token expired");
  }
}

void Session::OnClosed() {
  for (const std::string& room : rooms_) conn_.worker().rooms().Leave(&conn_, room);
  rooms_.clear();
  if (registered_session_) {
    conn_.worker().ctx().sessions->Release(session_id_, connection_id_);
    registered_session_ = false;
  }
}

}  // namespace switchboard::gateway
