#include "tests/clients/cpp/fake_server.h"

#include <future>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "boost/asio/post.hpp"
#include "common/proto_time.h"

namespace switchboard {
namespace client {
namespace testing {
namespace {

namespace net = ::boost::asio;
using tcp = ::boost::asio::ip::tcp;
using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::Message;
using ::switchboard::client::v1::ServerFrame;

std::string TokenOfUpgrade(const UpgradeRecord& record) {
  if (absl::StartsWith(record.authorization, "Bearer ")) {
    return record.authorization.substr(7);
  }
  size_t query = record.target.find('?');
  if (query == std::string::npos) return "";
  for (absl::string_view param : absl::StrSplit(
           absl::string_view(record.target).substr(query + 1), '&')) {
    if (absl::ConsumePrefix(&param, "token=")) return std::string(param);
  }
  return "";
}

ServerFrame ErrorFrame(uint64_t id, v1::ErrorCode code, std::string message) {
  ServerFrame frame;
  frame.set_id(id);
  frame.mutable_error()->set_code(code);
  frame.mutable_error()->set_message(std::move(message));
  return frame;
}

}  // namespace

FakeServer::FakeServer()
    : work_(io_context_.get_executor()), acceptor_(io_context_) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  DoAccept();
  thread_ = std::thread([this] { io_context_.run(); });
}

FakeServer::~FakeServer() {
  RunOnServer([this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, connection] : connections_) connection.session->Drop();
  });
  work_.reset();
  io_context_.stop();
  thread_.join();
  connections_.clear();
}

void FakeServer::RunOnServer(std::function<void()> fn) {
  if (std::this_thread::get_id() == thread_.get_id()) return fn();
  std::promise<void> done;
  net::post(io_context_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

// --- Script ------------------------------------------------------------------

void FakeServer::SetHook(Hook hook) {
  absl::MutexLock lock(&mu_);
  hook_ = std::move(hook);
}

void FakeServer::RequireToken(std::string token) {
  absl::MutexLock lock(&mu_);
  required_token_ = std::move(token);
}

void FakeServer::DeclineUpgrades(int http_status) {
  absl::MutexLock lock(&mu_);
  decline_status_ = http_status;
}

void FakeServer::ForceSubprotocol(std::optional<std::string> subprotocol) {
  absl::MutexLock lock(&mu_);
  forced_subprotocol_ = std::move(subprotocol);
}

void FakeServer::WithholdWelcome(bool withhold) {
  absl::MutexLock lock(&mu_);
  withhold_welcome_ = withhold;
}

void FakeServer::SetRecovered(bool recovered) {
  absl::MutexLock lock(&mu_);
  recovered_ = recovered;
}

void FakeServer::SetDedupeWindow(std::optional<absl::Duration> window) {
  absl::MutexLock lock(&mu_);
  dedupe_window_ = window;
}

void FakeServer::SetReplayOverlap(int messages) {
  absl::MutexLock lock(&mu_);
  replay_overlap_ = messages;
}

void FakeServer::SetBatchReplay(bool batch) {
  absl::MutexLock lock(&mu_);
  batch_replay_ = batch;
}

// --- Connections -------------------------------------------------------------

void FakeServer::DoAccept() {
  acceptor_.async_accept(
      [this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec) return;  // acceptor closed
        const int id = next_connection_++;
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        FakeServerSession::Callbacks callbacks;
        callbacks.on_upgrade = [this](UpgradeRecord* record) {
          return OnUpgrade(record);
        };
        callbacks.on_open = [this](int connection) { OnOpen(connection); };
        callbacks.on_message = [this](int connection, std::string message,
                                      bool binary) {
          OnMessage(connection, std::move(message), binary);
        };
        callbacks.on_closed = [this](int connection, uint16_t code) {
          OnClosed(connection, code);
        };
        auto session = std::make_shared<FakeServerSession>(
            std::move(socket), id, std::move(callbacks));
        connections_[id].session = session;
        session->Start();
        DoAccept();
      });
}

int FakeServer::OnUpgrade(UpgradeRecord* record) {
  absl::MutexLock lock(&mu_);
  std::optional<Format> offered;
  for (absl::string_view name :
       absl::StrSplit(record->offered_subprotocols, ',')) {
    offered = FormatFromSubprotocol(absl::StripAsciiWhitespace(name));
    if (offered.has_value()) break;
  }
  record->selected_subprotocol =
      forced_subprotocol_.has_value()
          ? *forced_subprotocol_
          : (offered.has_value() ? std::string(SubprotocolName(*offered)) : "");
  int status = decline_status_;
  const std::string token = TokenOfUpgrade(*record);
  if (status == 0 && !token.empty() && !required_token_.empty() &&
      token != required_token_) {
    status = 401;
  }
  upgrades_.push_back(*record);
  if (status == 0) {
    // Remembered for OnOpen: with a token on the upgrade, Welcome is pushed.
    connections_[record->connection].welcomed = !token.empty();
  }
  return status;
}

void FakeServer::OnOpen(int connection) {
  bool withhold;
  {
    absl::MutexLock lock(&mu_);
    ++upgraded_;
    withhold = withhold_welcome_;
  }
  Connection& state = connections_[connection];
  if (state.welcomed && !withhold) {
    ServerFrame frame;
    *frame.mutable_welcome() =
        MakeWelcome(connection, absl::StrCat("session-", connection));
    SendFrame(connection, frame);
  } else {
    state.welcomed = false;
  }
}

void FakeServer::OnClosed(int connection, uint16_t client_code) {
  absl::MutexLock lock(&mu_);
  client_closes_[connection] = client_code;
}

void FakeServer::OnMessage(int connection, std::string message, bool binary) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  const Format format = it->second.session->format();
  ClientFrame frame;
  if (binary != IsBinary(format) || !DecodeInto(message, format, &frame).ok()) {
    {
      absl::MutexLock lock(&mu_);
      bad_frames_.push_back(BadFrame{connection, message, binary});
    }
    SendFrame(connection,
              ErrorFrame(0, v1::ERROR_CODE_BAD_REQUEST, "undecodable frame"));
    return;
  }
  Hook hook;
  {
    absl::MutexLock lock(&mu_);
    frames_.push_back(Frame{connection, frame});
    hook = hook_;
  }
  std::vector<ServerFrame> replies;
  if (!hook || !hook(connection, frame, &replies)) {
    HandleFrame(connection, frame, &replies);
  }
  for (const ServerFrame& reply : replies) SendFrame(connection, reply);
  // Publishes fan out after their ack, as the gateway does.
  if (frame.has_publish() && !replies.empty() && replies[0].has_publish_ack() &&
      !replies[0].publish_ack().duplicate()) {
    const std::string& room = frame.publish().room();
    const std::vector<StoredMessage>& stored = rooms_[room];
    for (const StoredMessage& message : stored) {
      if (message.offset == replies[0].publish_ack().offset()) {
        FanOut(message.message);
      }
    }
  }
}

// --- Default behaviour -------------------------------------------------------

void FakeServer::HandleFrame(int connection, const ClientFrame& frame,
                             std::vector<ServerFrame>* replies) {
  Connection& state = connections_[connection];
  const uint64_t id = frame.id();
  if (frame.has_connect()) {
    std::string required;
    bool withhold;
    {
      absl::MutexLock lock(&mu_);
      required = required_token_;
      withhold = withhold_welcome_;
    }
    if (!state.welcomed && !required.empty() &&
        frame.connect().token() != required) {
      replies->push_back(
          ErrorFrame(id, v1::ERROR_CODE_UNAUTHENTICATED, "bad token"));
      for (const ServerFrame& reply : *replies) SendFrame(connection, reply);
      replies->clear();
      Close(connection, v1::CLOSE_CODE_UNAUTHENTICATED, "unauthenticated");
      return;
    }
    if (withhold) return;
    state.welcomed = true;
    ServerFrame reply;
    reply.set_id(id);
    *reply.mutable_welcome() =
        MakeWelcome(connection, frame.connect().session_id().empty()
                                    ? absl::StrCat("session-", connection)
                                    : frame.connect().session_id());
    replies->push_back(std::move(reply));
    return;
  }
  if (!state.welcomed) {
    replies->push_back(
        ErrorFrame(id, v1::ERROR_CODE_NOT_CONNECTED, "send Connect first"));
    return;
  }
  switch (frame.kind_case()) {
    case ClientFrame::kJoin:
      return HandleJoin(connection, id, frame.join(), replies);
    case ClientFrame::kLeave: {
      state.rooms.erase(frame.leave().room());
      ServerFrame reply;
      reply.set_id(id);
      reply.mutable_left()->set_room(frame.leave().room());
      replies->push_back(std::move(reply));
      return;
    }
    case ClientFrame::kPublish:
      return HandlePublish(connection, id, frame.publish(), replies);
    case ClientFrame::kEphemeral: {
      const v1::EphemeralPublish& event = frame.ephemeral();
      if (state.rooms.count(event.room()) == 0) {
        replies->push_back(
            ErrorFrame(id, v1::ERROR_CODE_NOT_JOINED, "not joined"));
        return;
      }
      ServerFrame push;
      v1::EphemeralEvent* out = push.mutable_ephemeral();
      out->set_room(event.room());
      out->set_type(event.type());
      out->set_name(event.name());
      out->mutable_sender()->set_user_id("user-1");
      *out->mutable_payload() = event.payload();
      for (auto& [other, other_state] : connections_) {
        if (other != connection && other_state.rooms.count(event.room()) > 0) {
          SendFrame(other, push);
        }
      }
      return;
    }
    case ClientFrame::kPing: {
      ServerFrame reply;
      reply.set_id(id);
      reply.mutable_pong()->mutable_server_time()->set_seconds(
          absl::ToUnixSeconds(absl::Now()));
      replies->push_back(std::move(reply));
      return;
    }
    default:
      replies->push_back(ErrorFrame(id, v1::ERROR_CODE_UNSUPPORTED,
                                    "not supported by the fake server"));
      return;
  }
}

void FakeServer::HandleJoin(int connection, uint64_t id, const v1::Join& join,
                            std::vector<ServerFrame>* replies) {
  connections_[connection].rooms.insert(join.room());
  const std::vector<StoredMessage>& stored = rooms_[join.room()];
  bool recovered, batch;
  int overlap;
  {
    absl::MutexLock lock(&mu_);
    recovered = recovered_;
    batch = batch_replay_;
    overlap = replay_overlap_;
  }
  ServerFrame reply;
  reply.set_id(id);
  v1::Joined* joined = reply.mutable_joined();
  joined->set_room(join.room());
  joined->set_offset(stored.empty() ? 0 : stored.back().offset);
  joined->set_kind(absl::StartsWith(join.room(), "eph:")
                       ? v1::ROOM_KIND_EPHEMERAL
                       : v1::ROOM_KIND_PERSISTED);
  size_t first = stored.size();
  if (join.has_since_offset()) {
    joined->set_recovered(recovered);
    first = 0;
    while (first < stored.size() &&
           stored[first].offset <= join.since_offset()) {
      ++first;
    }
    first -= std::min<size_t>(first, static_cast<size_t>(overlap));
  } else if (join.history_limit() > 0) {
    first =
        stored.size() - std::min<size_t>(stored.size(), join.history_limit());
  }
  replies->push_back(std::move(reply));
  if (first == stored.size()) return;
  if (batch) {
    ServerFrame push;
    for (size_t i = first; i < stored.size(); ++i) {
      *push.mutable_batch()->add_messages() = stored[i].message;
    }
    replies->push_back(std::move(push));
    return;
  }
  for (size_t i = first; i < stored.size(); ++i) {
    ServerFrame push;
    *push.mutable_message() = stored[i].message;
    replies->push_back(std::move(push));
  }
}

void FakeServer::HandlePublish(int connection, uint64_t id,
                               const v1::Publish& publish,
                               std::vector<ServerFrame>* replies) {
  ServerFrame reply;
  reply.set_id(id);
  v1::PublishAck* ack = reply.mutable_publish_ack();
  ack->set_room(publish.room());
  auto seen = message_ids_.find(publish.message_id());
  if (!publish.message_id().empty() && seen != message_ids_.end()) {
    ack->set_offset(seen->second.second);
    ack->set_message_id(publish.message_id());
    ack->set_duplicate(true);
    replies->push_back(std::move(reply));
    return;
  }
  Message message;
  message.set_room(publish.room());
  message.set_message_id(publish.message_id());
  message.mutable_sender()->set_user_id("user-1");
  message.mutable_sender()->set_connection_id(
      absl::StrCat("conn-", connection));
  *message.mutable_payload() = publish.payload();
  const uint64_t offset = Store(publish.room(), std::move(message));
  if (!publish.message_id().empty()) {
    message_ids_[publish.message_id()] = {publish.room(), offset};
  }
  ack->set_offset(offset);
  ack->set_message_id(publish.message_id());
  replies->push_back(std::move(reply));
}

v1::Welcome FakeServer::MakeWelcome(int connection,
                                    const std::string& session_id) {
  connections_[connection].session_id = session_id;
  v1::Welcome welcome;
  welcome.set_connection_id(absl::StrCat("conn-", connection));
  welcome.set_session_id(session_id);
  welcome.set_user_id("user-1");
  welcome.set_gateway_id("fake-gateway");
  absl::MutexLock lock(&mu_);
  if (dedupe_window_.has_value()) {
    ToProto(*dedupe_window_, welcome.mutable_dedupe_window());
  }
  return welcome;
}

uint64_t FakeServer::Store(const std::string& room, Message message) {
  uint64_t offset;
  {
    absl::MutexLock lock(&mu_);
    offset = next_offset_++;
  }
  message.set_offset(offset);
  message.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  rooms_[room].push_back(StoredMessage{offset, std::move(message)});
  return offset;
}

void FakeServer::FanOut(const Message& message) {
  ServerFrame push;
  *push.mutable_message() = message;
  for (auto& [id, state] : connections_) {
    if (state.rooms.count(message.room()) > 0) SendFrame(id, push);
  }
}

void FakeServer::SendFrame(int connection, const ServerFrame& frame) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  const Format format = it->second.session->format();
  absl::StatusOr<std::string> encoded = Encode(frame, format);
  if (!encoded.ok()) return;
  it->second.session->Send(std::move(*encoded), IsBinary(format));
}

// --- Levers ------------------------------------------------------------------

uint64_t FakeServer::AppendMessage(const std::string& room,
                                   v1::Payload payload) {
  uint64_t offset = 0;
  RunOnServer([&] {
    Message message;
    message.set_room(room);
    *message.mutable_payload() = std::move(payload);
    offset = Store(room, std::move(message));
    Message& stored = rooms_[room].back().message;
    stored.set_message_id(absl::StrCat("server-", offset));
    FanOut(stored);
  });
  return offset;
}

void FakeServer::Push(int connection, const ServerFrame& frame) {
  RunOnServer([&] { SendFrame(connection, frame); });
}

void FakeServer::SendRaw(int connection, std::string bytes, bool binary) {
  RunOnServer([&] {
    auto it = connections_.find(connection);
    if (it != connections_.end()) it->second.session->Send(bytes, binary);
  });
}

void FakeServer::Close(int connection, uint16_t code, std::string reason) {
  RunOnServer([&] {
    auto it = connections_.find(connection);
    if (it != connections_.end()) it->second.session->Close(code, reason);
    if (it != connections_.end()) it->second.rooms.clear();
  });
}

void FakeServer::Drop(int connection) {
  RunOnServer([&] {
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    it->second.session->Drop();
    it->second.rooms.clear();
  });
}

// --- Observations ------------------------------------------------------------

int FakeServer::connections() const {
  absl::MutexLock lock(&mu_);
  return upgraded_;
}

bool FakeServer::WaitForConnections(int count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return upgraded_ >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

std::optional<FakeServer::Frame> FakeServer::WaitForFrame(
    std::function<bool(const Frame&)> match, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  std::optional<Frame> found;
  auto search = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const Frame& frame : frames_) {
      if (match(frame)) {
        found = frame;
        return true;
      }
    }
    return false;
  };
  mu_.AwaitWithTimeout(absl::Condition(&search), timeout);
  return found;
}

std::vector<FakeServer::Frame> FakeServer::frames() const {
  absl::MutexLock lock(&mu_);
  return frames_;
}

std::vector<FakeServer::BadFrame> FakeServer::bad_frames() const {
  absl::MutexLock lock(&mu_);
  return bad_frames_;
}

bool FakeServer::WaitForBadFrames(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return bad_frames_.size() >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

std::vector<UpgradeRecord> FakeServer::upgrades() const {
  absl::MutexLock lock(&mu_);
  return upgrades_;
}

std::optional<uint16_t> FakeServer::WaitForClientClose(
    int connection, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto closed = [this, connection]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return client_closes_.count(connection) > 0;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&closed), timeout)) {
    return std::nullopt;
  }
  return client_closes_.at(connection);
}

uint64_t FakeServer::latest_offset() const {
  absl::MutexLock lock(&mu_);
  return next_offset_ - 1;
}

}  // namespace testing
}  // namespace client
}  // namespace switchboard
