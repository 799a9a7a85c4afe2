#include "gateway/worker.h"

#include <chrono>

#include "common/proto_time.h"
#include "absl/random/random.h"
#include "common/logging.h"
#include "gateway/codec/shared_frame.h"
#include "gateway/connection.h"

namespace switchboard::gateway {

namespace net = boost::asio;
using switchboard::client::v1::ServerFrame;

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(250);


}  // namespace

Worker::Worker(int index, GatewayContext& ctx)
    : index_(index), ctx_(ctx), read_buffer_(new char[kReadBufferBytes]) {}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  ScheduleTick();
  thread_ = std::thread([this] {
    auto guard = net::make_work_guard(ioc_);
    ioc_.run();
  });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  ioc_.stop();
  thread_.join();
  connections_.clear();
  graveyard_.clear();
}

int64_t Worker::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Worker::Deliver(fanout::RoomEventPtr event) {
  Post([this, event = std::move(event)] { rooms_.Deliver(*event); });
}

void Worker::Adopt(std::shared_ptr<Connection> conn) {
  conn->worker_index = connections_.size();
  connections_.push_back(std::move(conn));
  stats_.connections.fetch_add(1, std::memory_order_relaxed);
  stats_.connections_opened.Add();
}

void Worker::Forget(Connection* conn) {
  const size_t i = conn->worker_index;
  if (i >= connections_.size() || connections_[i].get() != conn) return;
  graveyard_.push_back(std::move(connections_[i]));
  if (i + 1 != connections_.size()) {
    connections_[i] = std::move(connections_.back());
    connections_[i]->worker_index = i;
  }
  connections_.pop_back();
  stats_.connections.fetch_sub(1, std::memory_order_relaxed);
  if (!flush_posted_) {
    flush_posted_ = true;
    Post([this] { FlushScheduled(); });
  }
}

void Worker::ScheduleFlush(Connection* conn) {
  if (!conn->flush_scheduled) {
    conn->flush_scheduled = true;
    to_flush_.push_back(conn);
  }
  if (!flush_posted_) {
    // Posted behind whatever is already queued (other room events, reads), so
    // their frames join this flush: fewer, larger writes under load.
    flush_posted_ = true;
    Post([this] { FlushScheduled(); });
  }
}

void Worker::FlushScheduled() {
  flush_posted_ = false;
  std::vector<Connection*> batch;
  batch.swap(to_flush_);
  for (Connection* conn : batch) conn->Flush();
  graveyard_.clear();
}

void Worker::ScheduleTick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    Tick();
    ScheduleTick();
  });
}

void Worker::Tick() {
  const int64_t now = NowMicros();
  rooms_.OnTick(now);
  // Backwards: a connection that closes is swapped with the last one, which
  // has already been visited.
  for (size_t i = connections_.size(); i-- > 0;) {
    if (i >= connections_.size()) continue;
    Connection* conn = connections_[i].get();
    if (conn->drain_close_at_us != 0 && now >= conn->drain_close_at_us && conn->open()) {
      conn->drain_close_at_us = 0;
      conn->Close(static_cast<uint16_t>(switchboard::client::v1::CLOSE_CODE_GOING_AWAY),
                  "gateway draining: reconnect");
      continue;
    }
    conn->OnTick(now);
  }
}

void Worker::Drain(absl::Duration window) {
  absl::BitGen gen;
  const int64_t now = NowMicros();
  const int64_t window_us = std::max<int64_t>(1, absl::ToInt64Microseconds(window));
  for (const auto& conn : connections_) {
    if (!conn->open()) continue;
    // Each client learns when it will be closed and reconnects elsewhere
    // right then, so a draining gateway does not cause a reconnect spike.
    const int64_t delay = absl::Uniform<int64_t>(gen, 0, window_us);
    conn->drain_close_at_us = now + delay;
    ServerFrame frame;
    frame.mutable_going_away()->set_reason("gateway shutting down");
    ToProto(absl::Microseconds(delay), frame.mutable_going_away()->mutable_reconnect_after());
    conn->session().SendFrame(frame, MessageClass::kControl);
  }
}

std::vector<Connection*> Worker::ConnectionsOf(const std::string& user_id) const {
  std::vector<Connection*> out;
  for (const auto& conn : connections_) {
    if (conn->open() && conn->session().connected() && conn->session().user_id() == user_id) {
      out.push_back(conn.get());
    }
  }
  return out;
}

Connection* Worker::FindConnection(const std::string& connection_id) const {
  for (const auto& conn : connections_) {
    if (conn->session().connection_id() == connection_id) return conn.get();
  }
  return nullptr;
}

}  // namespace switchboard::gateway
