#include "clients/cpp/client_core.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cpp/message_util.h"
#include "clients/cpp/server_status.h"
#include "common/proto_time.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::Joined;
using ::switchboard::client::v1::Message;
using ::switchboard::client::v1::Pong;
using ::switchboard::client::v1::PublishAck;
using ::switchboard::client::v1::ServerFrame;
using ::switchboard::client::v1::Welcome;
using State = SessionConnection::State;

// The typed payload of a reply: an Error becomes its status, a frame of the
// wrong kind kInternal.
template <typename T>
absl::StatusOr<T> ReplyOf(absl::StatusOr<ServerFrame> reply,
                          ServerFrame::KindCase expected,
                          const T& (ServerFrame::*get)() const) {
  if (!reply.ok()) return reply.status();
  if (reply->has_error()) return ServerErrorToStatus(reply->error());
  if (reply->kind_case() != expected) {
    return absl::InternalError(absl::StrCat(
        "unexpected reply kind ", reply->kind_case(), ", expected ", expected));
  }
  return ((*reply).*get)();
}

// The dedupe window to assume when the gateway does not announce one.
absl::Duration DefaultDedupeWindow(const ClientOptions& options) {
  return options.dedupe_window > absl::ZeroDuration() ? options.dedupe_window
                                                      : absl::Minutes(2);
}

}  // namespace

ClientCore::ClientCore(boost::asio::io_context& io_context,
                       ClientOptions options, Handlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      dedupe_window_(DefaultDedupeWindow(options_)),
      requests_(io_context),
      outbox_(io_context),
      session_(
          io_context, options_, [this] { return next_id_++; },
          SessionConnection::Handlers{
              [this](const Welcome& welcome, bool reconnect) {
                OnEstablished(welcome, reconnect);
              },
              [this](const ServerFrame& frame) { Dispatch(frame); },
              [this](const CloseInfo& close, bool will_reconnect,
                     absl::Duration delay) {
                OnLost(close, will_reconnect, delay);
              },
              [this](const absl::Status& status, int attempt, bool will_retry) {
                OnReconnectFailed(status, attempt, will_retry);
              },
              handlers_.on_close}) {}

ClientCore::~ClientCore() = default;

// --- Session lifecycle -------------------------------------------------------

void ClientCore::Connect(std::function<void(absl::StatusOr<Welcome>)> done) {
  if (session_.state() == State::kIdle || session_.state() == State::kClosed) {
    rooms_ = RoomTracker();
  }
  session_.Connect(
      [this, done = std::move(done)](absl::StatusOr<Welcome> welcome) {
        // Publishes queued while the first attempt ran share its fate.
        if (!welcome.ok()) outbox_.FailAll(welcome.status());
        done(std::move(welcome));
      });
}

void ClientCore::OnEstablished(const Welcome& welcome, bool reconnect) {
  // Before the outbox is flushed: the gateway now serving decides.
  const absl::Duration announced =
      welcome.has_dedupe_window() ? FromProto(welcome.dedupe_window())
                                  : absl::ZeroDuration();
  dedupe_window_ = announced > absl::ZeroDuration()
                       ? announced
                       : DefaultDedupeWindow(options_);
  if (reconnect) {
    ++reconnects_;
    Emit(Reconnected{welcome});
    Rejoin();
  }
  FlushOutbox();
}

void ClientCore::OnLost(const CloseInfo& close, bool will_reconnect,
                        absl::Duration delay) {
  const absl::Status status = CloseToStatus(close.code, close.reason);
  requests_.FailAll(status);
  if (will_reconnect) {
    // An ack may have been lost with the connection: resend under the same id.
    outbox_.RequeueInFlight();
  } else {
    outbox_.FailAll(status);
  }
  Emit(Disconnected{close, will_reconnect, delay});
}

void ClientCore::OnReconnectFailed(const absl::Status& status, int attempt,
                                   bool will_retry) {
  if (!will_retry) {
    requests_.FailAll(status);
    outbox_.FailAll(status);
  }
  Emit(ReconnectFailed{status, attempt, will_retry});
}

void ClientCore::Rejoin() {
  for (v1::Join& join : rooms_.RejoinFrames()) {
    std::string room = join.room();
    std::optional<uint64_t> since;
    if (join.has_since_offset()) since = join.since_offset();
    ClientFrame frame;
    *frame.mutable_join() = std::move(join);
    SendRequest(std::move(frame), [this, room,
                                   since](absl::StatusOr<ServerFrame> reply) {
      absl::StatusOr<Joined> joined =
          ReplyOf(std::move(reply), ServerFrame::kJoined, &ServerFrame::joined);
      Rejoined event;
      event.room = room;
      event.since_offset = since;
      event.status = joined.status();
      if (joined.ok()) {
        rooms_.OnJoined(*joined);
        event.recovered = joined->recovered();
        event.offset = joined->offset();
      } else if (!absl::IsAlreadyExists(joined.status())) {
        rooms_.Forget(room);
      }
      Emit(event);
    });
  }
}

void ClientCore::FlushOutbox() {
  if (session_.state() != State::kOpen) return;
  // Resending these under their id could store them twice: the app decides.
  for (const FateUnknown& given_up :
       outbox_.GiveUpTooOld(ResendLimit(dedupe_window_))) {
    Emit(given_up);
  }
  // A callback or handler above may have closed the session.
  if (session_.state() != State::kOpen) return;
  for (const ClientFrame& frame :
       outbox_.TakeUnsent([this] { return next_id_++; })) {
    absl::Status sent = session_.Send(frame);
    if (!sent.ok()) outbox_.Fail(frame.id(), sent);
  }
}

// --- Frames in ---------------------------------------------------------------

void ClientCore::Dispatch(const ServerFrame& frame) {
  if (frame.id() != 0) {
    if (outbox_.Resolve(frame.id(), frame)) return;
    if (requests_.Resolve(frame.id(), frame)) return;
    // A reply nobody waits for any more (it came after its deadline). Errors
    // are still worth showing to the application.
    if (frame.has_error()) Emit(frame);
    return;
  }
  switch (frame.kind_case()) {
    case ServerFrame::kMessage:
      return Deliver(frame.message());
    case ServerFrame::kBatch:
      for (const Message& message : frame.batch().messages()) Deliver(message);
      return;
    case ServerFrame::kLeft:
      rooms_.Forget(frame.left().room());
      return Emit(frame);
    default:
      return Emit(frame);
  }
}

void ClientCore::Deliver(const Message& message) {
  if (!rooms_.Accept(message)) {
    ++duplicates_dropped_;
    return;
  }
  ++messages_;
  if (handlers_.on_message) handlers_.on_message(message);
}

void ClientCore::Emit(const ClientEvent& event) {
  if (handlers_.on_event) handlers_.on_event(event);
}

// --- Requests ----------------------------------------------------------------

void ClientCore::SendRequest(ClientFrame frame, RequestTracker::Callback done) {
  if (session_.state() != State::kOpen) {
    return done(absl::UnavailableError("not connected"));
  }
  const uint64_t id = next_id_++;
  frame.set_id(id);
  requests_.Add(id, options_.request_timeout, std::move(done));
  absl::Status sent = session_.Send(frame);
  if (!sent.ok()) requests_.Resolve(id, sent);
}

void ClientCore::Join(std::string room, const JoinOptions& options,
                      std::function<void(absl::StatusOr<Joined>)> done) {
  if (session_.state() != State::kOpen) {
    return done(absl::UnavailableError("not connected"));
  }
  ClientFrame frame;
  v1::Join* join = frame.mutable_join();
  join->set_room(room);
  if (options.since_offset.has_value()) {
    join->set_since_offset(*options.since_offset);
  }
  join->set_history_limit(options.history_limit);
  join->set_presence(options.presence);
  if (options.meta.fields_size() > 0) *join->mutable_meta() = options.meta;
  // Tracked from now on, so that the replay right after Joined counts.
  const bool started = rooms_.OnJoinSent(*join);
  SendRequest(std::move(frame), [this, room = std::move(room), started,
                                 done = std::move(done)](
                                    absl::StatusOr<ServerFrame> reply) {
    absl::StatusOr<Joined> joined =
        ReplyOf(std::move(reply), ServerFrame::kJoined, &ServerFrame::joined);
    if (joined.ok()) {
      rooms_.OnJoined(*joined);
    } else if (started) {
      rooms_.Forget(room);
    }
    done(std::move(joined));
  });
}

void ClientCore::Leave(std::string room,
                       std::function<void(absl::Status)> done) {
  rooms_.Forget(room);
  if (session_.state() == State::kReconnectWait ||
      session_.state() == State::kReconnecting) {
    return done(absl::OkStatus());
  }
  ClientFrame frame;
  frame.mutable_leave()->set_room(room);
  SendRequest(std::move(frame), [done = std::move(done)](
                                    absl::StatusOr<ServerFrame> reply) {
    done(ReplyOf(std::move(reply), ServerFrame::kLeft, &ServerFrame::left)
             .status());
  });
}

void ClientCore::Publish(std::string room, v1::Payload payload,
                         std::string message_id,
                         std::function<void(absl::StatusOr<PublishAck>)> done) {
  switch (session_.state()) {
    case State::kIdle:
    case State::kClosing:
    case State::kClosed:
      return done(absl::FailedPreconditionError("not connected"));
    default:
      break;
  }
  v1::Publish publish;
  publish.set_room(std::move(room));
  publish.set_message_id(message_id.empty() ? NewMessageId()
                                            : std::move(message_id));
  *publish.mutable_payload() = std::move(payload);
  outbox_.Add(std::move(publish), options_.request_timeout, std::move(done));
  FlushOutbox();
}

absl::Status ClientCore::SendEphemeral(v1::EphemeralPublish event) {
  if (session_.state() != State::kOpen) {
    return absl::UnavailableError("not connected");
  }
  ClientFrame frame;
  *frame.mutable_ephemeral() = std::move(event);
  return session_.Send(frame);
}

void ClientCore::Ping(std::function<void(absl::StatusOr<Pong>)> done) {
  ClientFrame frame;
  frame.mutable_ping();
  SendRequest(std::move(frame), [done = std::move(done)](
                                    absl::StatusOr<ServerFrame> reply) {
    done(ReplyOf(std::move(reply), ServerFrame::kPong, &ServerFrame::pong));
  });
}

void ClientCore::Request(
    ClientFrame frame, std::function<void(absl::StatusOr<ServerFrame>)> done) {
  SendRequest(std::move(frame),
              [done = std::move(done)](absl::StatusOr<ServerFrame> reply) {
                if (reply.ok() && reply->has_error()) {
                  return done(ServerErrorToStatus(reply->error()));
                }
                done(std::move(reply));
              });
}

absl::Status ClientCore::SendRaw(std::string bytes, bool binary) {
  if (session_.state() != State::kOpen) {
    return absl::UnavailableError("not connected");
  }
  return session_.SendRaw(std::move(bytes), binary);
}

void ClientCore::Close(uint16_t code, std::function<void()> done) {
  const absl::Status cancelled =
      absl::CancelledError("the client closed the connection");
  session_.Close(code, std::move(done));
  requests_.FailAll(cancelled);
  outbox_.FailAll(cancelled);
}

// --- Introspection -----------------------------------------------------------

std::optional<uint64_t> ClientCore::LastOffset(absl::string_view room) const {
  return rooms_.LastOffset(room);
}

std::vector<std::string> ClientCore::JoinedRooms() const {
  return rooms_.JoinedRooms();
}

Stats ClientCore::stats() const {
  Stats stats;
  stats.messages = messages_.load();
  stats.duplicates_dropped = duplicates_dropped_.load();
  stats.reconnects = reconnects_.load();
  stats.decode_errors = session_.decode_errors();
  return stats;
}

}  // namespace client
}  // namespace switchboard
