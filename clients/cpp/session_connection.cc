#include "clients/cpp/session_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cpp/client_tls.h"
#include "clients/cpp/frame_format.h"
#include "clients/cpp/server_status.h"
#include "common/logging.h"
#include "common/proto_time.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::ServerFrame;
using ::switchboard::client::v1::Welcome;
using Placement = ClientOptions::TokenPlacement;

// A GoingAway hint beyond this is treated as a gateway bug, not obeyed.
constexpr absl::Duration kMaxGoingAwayDelay = absl::Minutes(10);

std::string UrlEncode(absl::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// Errors after which another attempt with the same settings cannot succeed.
bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
      return false;
    default:
      return true;
  }
}

}  // namespace

template <typename F>
auto SessionConnection::Guarded(F f) {
  return
      [alive = std::weak_ptr<int>(alive_), f = std::move(f)](auto&&... args) {
        if (alive.expired()) return;
        f(std::forward<decltype(args)>(args)...);
      };
}

SessionConnection::SessionConnection(boost::asio::io_context& io_context,
                                     const ClientOptions& options,
                                     std::function<uint64_t()> next_id,
                                     Handlers handlers)
    : io_context_(io_context),
      options_(options),
      next_id_(std::move(next_id)),
      handlers_(std::move(handlers)),
      backoff_(options.reconnect_backoff_base, options.reconnect_backoff_cap),
      attempt_timer_(io_context),
      reconnect_timer_(io_context) {
  gateways_.push_back(GatewayAddress{options.host, options.port});
  gateways_.insert(gateways_.end(), options.fallback_gateways.begin(),
                   options.fallback_gateways.end());
  if (options.tls) {
    auto context = MakeClientTlsContext(options.tls_ca_file);
    if (context.ok()) {
      tls_context_ = std::move(*context);
    } else {
      tls_status_ = context.status();
    }
  }
}

SessionConnection::~SessionConnection() {
  alive_.reset();
  if (connection_ != nullptr) connection_->Abort();
}

WebSocketConnection::Settings SessionConnection::ConnectionSettings() const {
  WebSocketConnection::Settings settings;
  settings.host = CurrentGateway().host;
  settings.port = CurrentGateway().port;
  settings.target = options_.path.empty() ? "/" : options_.path;
  settings.subprotocol = std::string(SubprotocolName(options_.format));
  const bool has_token = !options_.token.empty();
  if (has_token && options_.token_placement == Placement::kQuery) {
    absl::StrAppend(&settings.target,
                    settings.target.find('?') == std::string::npos ? "?" : "&",
                    "token=", UrlEncode(options_.token));
  }
  if (has_token && options_.token_placement == Placement::kHeader) {
    settings.headers.emplace_back("Authorization",
                                  absl::StrCat("Bearer ", options_.token));
  }
  if (!options_.origin.empty()) {
    settings.headers.emplace_back("Origin", options_.origin);
  }
  settings.max_message_bytes = options_.max_message_bytes;
  settings.max_queued_writes = options_.max_queued_writes;
  settings.close_timeout = options_.connect_timeout;
  settings.tls_context = tls_context_;
  return settings;
}

bool SessionConnection::SendsConnectFrame() const {
  // With the token on the upgrade the gateway pushes Welcome by itself; a
  // Connect (token empty, as the protocol allows) then only serves to resume
  // a session. Whichever Welcome comes first wins; a later one is dropped.
  return options_.token.empty() ||
         options_.token_placement == Placement::kConnectFrame ||
         !session_id_.empty();
}

// --- Attempts ----------------------------------------------------------------

void SessionConnection::Connect(
    std::function<void(absl::StatusOr<Welcome>)> done) {
  if (state_ != State::kIdle && state_ != State::kClosed) {
    return done(absl::FailedPreconditionError(
        state_ == State::kOpen
            ? "already connected"
            : "a connection is being established or closed"));
  }
  if (!tls_status_.ok()) return done(tls_status_);
  session_id_.clear();
  closed_by_user_ = false;
  backoff_.Reset();
  reconnect_attempts_ = 0;
  going_away_delay_.reset();
  connect_done_ = std::move(done);
  gateway_index_ = 0;
  connect_gateways_left_ = gateways_.size() - 1;
  StartAttempt(/*reconnect=*/false);
}

const GatewayAddress& SessionConnection::CurrentGateway() const {
  return gateways_[gateway_index_];
}

void SessionConnection::NextGateway() {
  gateway_index_ = (gateway_index_ + 1) % gateways_.size();
}

void SessionConnection::StartAttempt(bool reconnect) {
  state_ = reconnect ? State::kReconnecting : State::kConnecting;
  const uint64_t serial = ++serial_;
  connect_frame_id_ = 0;
  connection_open_ = false;
  WebSocketConnection::Handlers handlers;
  handlers.on_message =
      Guarded([this, serial](std::string message, bool binary) {
        OnMessage(serial, message, binary);
      });
  handlers.on_closed = Guarded(
      [this, serial](const CloseInfo& close) { OnClosed(serial, close); });
  connection_ = std::make_shared<WebSocketConnection>(
      io_context_, ConnectionSettings(), std::move(handlers));
  // One deadline for the whole attempt: TCP, upgrade and Welcome.
  attempt_timer_.expires_after(
      absl::ToChronoNanoseconds(options_.connect_timeout));
  attempt_timer_.async_wait(
      Guarded([this, serial](const boost::system::error_code& ec) {
        if (ec || serial != serial_) return;
        if (state_ != State::kConnecting && state_ != State::kReconnecting) {
          return;
        }
        FailAttempt(absl::DeadlineExceededError(absl::StrCat(
            "no Welcome from ", CurrentGateway().host, ":", CurrentGateway().port, " within ",
            absl::FormatDuration(options_.connect_timeout))));
      }));
  connection_->Open(options_.connect_timeout,
                    Guarded([this, serial](const absl::Status& status) {
                      OnOpened(serial, status);
                    }));
}

void SessionConnection::OnOpened(uint64_t serial, const absl::Status& status) {
  if (serial != serial_) return;
  if (!status.ok()) return FailAttempt(status);
  connection_open_ = true;
  if (!SendsConnectFrame()) return;
  ClientFrame frame;
  connect_frame_id_ = next_id_();
  frame.set_id(connect_frame_id_);
  v1::Connect* connect = frame.mutable_connect();
  if (options_.token_placement == Placement::kConnectFrame) {
    connect->set_token(options_.token);
  }
  connect->set_session_id(session_id_);
  connect->set_client(options_.client_name);
  absl::Status sent = Send(frame);
  if (!sent.ok()) FailAttempt(sent);
}

void SessionConnection::OnWelcome(const Welcome& welcome) {
  attempt_timer_.cancel();
  const bool reconnect = state_ == State::kReconnecting;
  state_ = State::kOpen;
  connected_ = true;
  session_id_ = welcome.session_id();
  going_away_delay_.reset();
  if (welcome.has_ping_timeout()) {
    connection_->SetIdleTimeout(FromProto(welcome.ping_timeout()));
  }
  if (reconnect) {
    backoff_.Reset();
    reconnect_attempts_ = 0;
    if (handlers_.on_established) handlers_.on_established(welcome, true);
    return;
  }
  auto done = std::move(connect_done_);
  connect_done_ = nullptr;
  if (done) done(welcome);
  if (handlers_.on_established && state_ == State::kOpen) {
    handlers_.on_established(welcome, false);
  }
}

void SessionConnection::FailAttempt(const absl::Status& status) {
  attempt_timer_.cancel();
  if (connection_ != nullptr) {
    ++serial_;  // whatever the old connection still reports is stale now
    if (connection_open_) {
      connection_->Close(v1::CLOSE_CODE_NORMAL);
    } else {
      connection_->Abort();
    }
    connection_.reset();
    connection_open_ = false;
  }
  connected_ = false;
  if (state_ == State::kConnecting) {
    if (connect_gateways_left_ > 0 && !closed_by_user_ && IsRetryable(status)) {
      // This gateway is down or unreachable: Connect tries the next one.
      SB_LOG_DEBUG("switchboard client: {}:{} failed ({}), trying the next gateway",
                   CurrentGateway().host, CurrentGateway().port, status.ToString());
      --connect_gateways_left_;
      NextGateway();
      return StartAttempt(/*reconnect=*/false);
    }
    state_ = State::kClosed;
    auto done = std::move(connect_done_);
    connect_done_ = nullptr;
    if (done) done(status);
    return;
  }
  if (state_ != State::kReconnecting) return;
  ++reconnect_attempts_;
  const bool retry = !closed_by_user_ && IsRetryable(status) &&
                     (options_.max_reconnect_attempts <= 0 ||
                      reconnect_attempts_ < options_.max_reconnect_attempts);
  SB_LOG_DEBUG("switchboard client: reconnect attempt {} failed: {}",
               reconnect_attempts_, status.ToString());
  if (retry) {
    // The next attempt goes to the next gateway of the list (if any): the one
    // that failed may be gone for good.
    NextGateway();
    ScheduleReconnect(backoff_.NextDelay());
  } else {
    state_ = State::kClosed;
  }
  if (handlers_.on_reconnect_failed) {
    handlers_.on_reconnect_failed(status, reconnect_attempts_, retry);
  }
}

void SessionConnection::OnClosed(uint64_t serial, const CloseInfo& close) {
  if (handlers_.on_close) handlers_.on_close(close);
  if (serial != serial_) return;
  connection_open_ = false;
  connected_ = false;
  switch (state_) {
    case State::kConnecting:
    case State::kReconnecting:
      return FailAttempt(CloseToStatus(close.code, close.reason));
    case State::kOpen:
      return OnDropped(close);
    case State::kClosing: {
      state_ = State::kClosed;
      connection_.reset();
      auto waiters = std::move(close_waiters_);
      close_waiters_.clear();
      for (auto& waiter : waiters) waiter();
      return;
    }
    default:
      return;
  }
}

void SessionConnection::OnDropped(const CloseInfo& close) {
  connection_.reset();
  reconnect_attempts_ = 0;
  const bool reconnect = options_.auto_reconnect && !closed_by_user_ &&
                         ShouldReconnectAfterClose(close.code);
  absl::Duration delay = absl::ZeroDuration();
  if (reconnect) {
    delay = going_away_delay_.has_value() ? *going_away_delay_
                                          : backoff_.NextDelay();
    going_away_delay_.reset();
    ScheduleReconnect(delay);
  } else {
    state_ = State::kClosed;
  }
  SB_LOG_DEBUG("switchboard client: connection closed ({} {}), {}", close.code,
               close.reason, reconnect ? "reconnecting" : "not reconnecting");
  if (handlers_.on_lost) handlers_.on_lost(close, reconnect, delay);
}

void SessionConnection::ScheduleReconnect(absl::Duration delay) {
  state_ = State::kReconnectWait;
  reconnect_timer_.expires_after(absl::ToChronoNanoseconds(delay));
  reconnect_timer_.async_wait(
      Guarded([this](const boost::system::error_code& ec) {
        if (ec || state_ != State::kReconnectWait) return;
        StartAttempt(/*reconnect=*/true);
      }));
}

// --- Frames ------------------------------------------------------------------

void SessionConnection::OnMessage(uint64_t serial, const std::string& message,
                                  bool binary) {
  if (serial != serial_) return;
  if (binary != IsBinary(options_.format)) {
    ++decode_errors_;
    SB_LOG_WARN("switchboard client: {} frame on a {} session skipped",
                binary ? "binary" : "text",
                std::string(FormatName(options_.format)));
    return;
  }
  absl::StatusOr<ServerFrame> frame = Decode(message, options_.format);
  if (!frame.ok()) {
    ++decode_errors_;
    SB_LOG_WARN("switchboard client: undecodable frame skipped: {}",
                std::string(frame.status().message()));
    return;
  }
  if (state_ == State::kConnecting || state_ == State::kReconnecting) {
    const bool answers_connect =
        frame->id() == 0 || frame->id() == connect_frame_id_;
    if (frame->has_welcome() && answers_connect) {
      return OnWelcome(frame->welcome());
    }
    if (frame->has_error() && answers_connect) {
      return FailAttempt(ServerErrorToStatus(frame->error()));
    }
  }
  if (frame->has_going_away()) {
    going_away_delay_ =
        std::clamp(FromProto(frame->going_away().reconnect_after()),
                   absl::ZeroDuration(), kMaxGoingAwayDelay);
  }
  // A second Welcome answers a resume Connect sent after a pushed Welcome.
  if (frame->has_welcome()) return;
  if (handlers_.on_frame) handlers_.on_frame(*frame);
}

absl::Status SessionConnection::Send(const ClientFrame& frame) {
  absl::StatusOr<std::string> encoded = Encode(frame, options_.format);
  if (!encoded.ok()) return encoded.status();
  return SendRaw(std::move(*encoded), IsBinary(options_.format));
}

absl::Status SessionConnection::SendRaw(std::string bytes, bool binary) {
  if (connection_ == nullptr || !connection_->is_open()) {
    return absl::UnavailableError("not connected");
  }
  if (!connection_->Send(std::make_shared<const std::string>(std::move(bytes)),
                         binary)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", options_.max_queued_writes,
                     " frames waiting for the socket"));
  }
  return absl::OkStatus();
}

// --- Closing -----------------------------------------------------------------

void SessionConnection::Close(uint16_t code, std::function<void()> done) {
  closed_by_user_ = true;
  attempt_timer_.cancel();
  reconnect_timer_.cancel();
  connected_ = false;
  auto connect_done = std::move(connect_done_);
  connect_done_ = nullptr;
  bool finished = true;
  switch (state_) {
    case State::kConnecting:
    case State::kOpen:
    case State::kReconnecting:
      if (connection_ != nullptr && connection_open_) {
        state_ = State::kClosing;
        close_waiters_.push_back(std::move(done));
        finished = false;
        connection_->Close(code);
      } else {
        ++serial_;
        if (connection_ != nullptr) connection_->Abort();
        connection_.reset();
        state_ = State::kClosed;
      }
      break;
    case State::kClosing:
      close_waiters_.push_back(std::move(done));
      finished = false;
      break;
    case State::kReconnectWait:
      state_ = State::kClosed;
      break;
    case State::kIdle:
    case State::kClosed:
      break;
  }
  if (connect_done) {
    connect_done(absl::CancelledError("the client closed the connection"));
  }
  if (finished && done) done();
}

}  // namespace client
}  // namespace switchboard
