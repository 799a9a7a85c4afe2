#include "clients/cpp/client.h"

#include <atomic>
#include <cstdlib>
#include <future>
#include <utility>

#include "boost/asio/post.hpp"
#include "clients/cpp/client_core.h"
#include "common/logging.h"

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

absl::Status CalledFromCallback() {
  return absl::FailedPreconditionError(
      "blocking Client call from a Client callback; use the Async variant");
}

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      work_(io_context_.get_executor()),
      pushes_(options_.inbox_capacity),
      events_(options_.inbox_capacity),
      closes_(options_.inbox_capacity) {
  ClientCore::Handlers handlers;
  handlers.on_message = [this](const Message& message) {
    HandleMessage(message);
  };
  handlers.on_event = [this](const ClientEvent& event) { HandleEvent(event); };
  handlers.on_close = [this](const CloseInfo& close) { closes_.Push(close); };
  core_ =
      std::make_unique<ClientCore>(io_context_, options_, std::move(handlers));
  thread_ = std::thread([this] { io_context_.run(); });
  io_thread_id_ = thread_.get_id();
}

Client::~Client() {
  if (OnIoThread()) {
    SB_LOG_ERROR("switchboard client destroyed from its own callback");
    std::abort();
  }
  Close(1000);
  work_.reset();
  io_context_.stop();
  thread_.join();
  // The I/O thread is gone: the core and its connections die without any
  // handler running again.
  core_.reset();
}

bool Client::OnIoThread() const {
  return std::this_thread::get_id() == io_thread_id_;
}

template <typename T>
T Client::Await(std::function<void(std::function<void(T)>)> start) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  boost::asio::post(io_context_, [start = std::move(start), promise] {
    auto completed = std::make_shared<std::atomic<bool>>(false);
    start([promise, completed](T value) {
      // The core completes each callback once; this guards the promise even
      // if that ever broke.
      if (!completed->exchange(true)) promise->set_value(std::move(value));
    });
  });
  return future.get();
}

// --- Blocking API ------------------------------------------------------------

absl::StatusOr<Welcome> Client::Connect() {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::StatusOr<Welcome>>(
      [this](std::function<void(absl::StatusOr<Welcome>)> done) {
        core_->Connect(std::move(done));
      });
}

absl::StatusOr<Joined> Client::Join(absl::string_view room,
                                    const JoinOptions& options) {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::StatusOr<Joined>>(
      [this, room = std::string(room),
       options](std::function<void(absl::StatusOr<Joined>)> done) {
        core_->Join(room, options, std::move(done));
      });
}

absl::Status Client::Leave(absl::string_view room) {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::Status>(
      [this, room = std::string(room)](std::function<void(absl::Status)> done) {
        core_->Leave(room, std::move(done));
      });
}

absl::StatusOr<PublishAck> Client::Publish(absl::string_view room,
                                           v1::Payload payload,
                                           absl::string_view message_id) {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::StatusOr<PublishAck>>(
      [this, room = std::string(room), payload = std::move(payload),
       message_id = std::string(message_id)](
          std::function<void(absl::StatusOr<PublishAck>)> done) {
        core_->Publish(room, payload, message_id, std::move(done));
      });
}

absl::Status Client::SendEphemeral(absl::string_view room,
                                   v1::EphemeralType type, v1::Payload payload,
                                   absl::string_view name) {
  if (OnIoThread()) return CalledFromCallback();
  v1::EphemeralPublish event;
  event.set_room(std::string(room));
  event.set_type(type);
  event.set_name(std::string(name));
  *event.mutable_payload() = std::move(payload);
  return Await<absl::Status>(
      [this, event = std::move(event)](std::function<void(absl::Status)> done) {
        done(core_->SendEphemeral(event));
      });
}

absl::StatusOr<Pong> Client::Ping() {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::StatusOr<Pong>>(
      [this](std::function<void(absl::StatusOr<Pong>)> done) {
        core_->Ping(std::move(done));
      });
}

absl::StatusOr<ServerFrame> Client::Request(ClientFrame frame) {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::StatusOr<ServerFrame>>(
      [this, frame = std::move(frame)](
          std::function<void(absl::StatusOr<ServerFrame>)> done) {
        core_->Request(frame, std::move(done));
      });
}

absl::Status Client::SendRaw(absl::string_view bytes, bool binary) {
  if (OnIoThread()) return CalledFromCallback();
  return Await<absl::Status>([this, bytes = std::string(bytes),
                              binary](std::function<void(absl::Status)> done) {
    done(core_->SendRaw(bytes, binary));
  });
}

void Client::Close(uint16_t code) {
  if (OnIoThread()) {
    core_->Close(code, [] {});
    return;
  }
  Await<bool>([this, code](std::function<void(bool)> done) {
    core_->Close(code, [done = std::move(done)] { done(true); });
  });
}

// --- Asynchronous API --------------------------------------------------------

void Client::ConnectAsync(std::function<void(absl::StatusOr<Welcome>)> done) {
  boost::asio::post(io_context_, [this, done = std::move(done)]() mutable {
    core_->Connect(std::move(done));
  });
}

void Client::JoinAsync(absl::string_view room, const JoinOptions& options,
                       std::function<void(absl::StatusOr<Joined>)> done) {
  boost::asio::post(io_context_, [this, room = std::string(room), options,
                                  done = std::move(done)]() mutable {
    core_->Join(std::move(room), options, std::move(done));
  });
}

void Client::PublishAsync(
    absl::string_view room, v1::Payload payload, absl::string_view message_id,
    std::function<void(absl::StatusOr<PublishAck>)> done) {
  boost::asio::post(
      io_context_,
      [this, room = std::string(room), payload = std::move(payload),
       message_id = std::string(message_id), done = std::move(done)]() mutable {
        core_->Publish(std::move(room), std::move(payload),
                       std::move(message_id), std::move(done));
      });
}

void Client::RequestAsync(
    ClientFrame frame, std::function<void(absl::StatusOr<ServerFrame>)> done) {
  boost::asio::post(io_context_, [this, frame = std::move(frame),
                                  done = std::move(done)]() mutable {
    core_->Request(std::move(frame), std::move(done));
  });
}

// --- Pushes ------------------------------------------------------------------

void Client::HandleMessage(const Message& message) {
  if (options_.inbox_capacity > 0) {
    ServerFrame frame;
    *frame.mutable_message() = message;
    pushes_.Push(std::move(frame));
  }
  std::function<void(const Message&)> callback;
  {
    absl::MutexLock lock(&callbacks_mu_);
    callback = on_message_;
  }
  if (callback) callback(message);
}

void Client::HandleEvent(const ClientEvent& event) {
  if (options_.inbox_capacity > 0) {
    if (const auto* frame = std::get_if<ServerFrame>(&event)) {
      pushes_.Push(*frame);
    }
    events_.Push(event);
  }
  std::function<void(const ClientEvent&)> callback;
  {
    absl::MutexLock lock(&callbacks_mu_);
    callback = on_event_;
  }
  if (callback) callback(event);
}

std::optional<ServerFrame> Client::NextPush(absl::Duration timeout) {
  return pushes_.Pop(timeout);
}

std::optional<ClientEvent> Client::NextEvent(absl::Duration timeout) {
  return events_.Pop(timeout);
}

std::optional<CloseInfo> Client::WaitForClose(absl::Duration timeout) {
  return closes_.Pop(timeout);
}

void Client::OnMessage(std::function<void(const Message&)> callback) {
  absl::MutexLock lock(&callbacks_mu_);
  on_message_ = std::move(callback);
}

void Client::OnEvent(std::function<void(const ClientEvent&)> callback) {
  absl::MutexLock lock(&callbacks_mu_);
  on_event_ = std::move(callback);
}

// --- State -------------------------------------------------------------------

Stats Client::stats() const { return core_->stats(); }

bool Client::connected() const { return core_->connected(); }

std::optional<uint64_t> Client::LastOffset(absl::string_view room) {
  if (OnIoThread()) return core_->LastOffset(room);
  return Await<std::optional<uint64_t>>(
      [this, room = std::string(room)](
          std::function<void(std::optional<uint64_t>)> done) {
        done(core_->LastOffset(room));
      });
}

std::vector<std::string> Client::JoinedRooms() {
  if (OnIoThread()) return core_->JoinedRooms();
  return Await<std::vector<std::string>>(
      [this](std::function<void(std::vector<std::string>)> done) {
        done(core_->JoinedRooms());
      });
}

}  // namespace client
}  // namespace switchboard
