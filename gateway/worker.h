#ifndef SWITCHBOARD_GATEWAY_WORKER_H_
#define SWITCHBOARD_GATEWAY_WORKER_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/time/time.h"
#include "fanout/hub.h"
#include "gateway/gateway_context.h"
#include "gateway/local_rooms.h"
#include "gateway/worker_stats.h"

namespace switchboard::gateway {

class Connection;

// One event loop on one thread, owning a share of the connections (see
// ARCHITECTURE.md: one io_context per core, no locks on the hot path). It
// receives the hub's room events, fans them out to its members, and flushes
// every connection that queued something once per loop pass, so frames of
// several events share one write.
//
// Post() and Deliver() may be called from any thread; everything else only on
// the worker's own thread.
class Worker final : public fanout::Hub::Sink {
 public:
  Worker(int index, GatewayContext& ctx);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start();
  // Stops the loop and joins the thread; connections are dropped.
  void Stop();

  template <typename F>
  void Post(F&& f) {
    boost::asio::post(ioc_, std::forward<F>(f));
  }

  // fanout::Hub::Sink: hands the event to the worker's thread.
  void Deliver(fanout::RoomEventPtr event) override;

  // Starts tracking (and ticking) an upgraded connection.
  void Adopt(std::shared_ptr<Connection> conn);
  // Drops a closed connection.
  void Forget(Connection* conn);
  // Flushes `conn` at the end of this loop pass.
  void ScheduleFlush(Connection* conn);
  // Tells every connection to go away, spreading the closes over `window`.
  void Drain(absl::Duration window);

  boost::asio::io_context& io() { return ioc_; }
  int index() const { return index_; }
  GatewayContext& ctx() { return ctx_; }
  WorkerStats& stats() { return stats_; }
  const WorkerStats& stats() const { return stats_; }
  LocalRooms& rooms() { return rooms_; }
  char* read_buffer() { return read_buffer_.get(); }
  size_t read_buffer_size() const { return kReadBufferBytes; }
  int64_t NowMicros() const;
  // Connections of a user on this worker (for kicks and server-side joins).
  std::vector<Connection*> ConnectionsOf(const std::string& user_id) const;
  Connection* FindConnection(const std::string& connection_id) const;
  const std::vector<std::shared_ptr<Connection>>& connections() const { return connections_; }
  // A per-worker counter for connection ids.
  uint64_t NextConnectionSerial() { return ++connection_serial_; }

 private:
  static constexpr size_t kReadBufferBytes = 64 * 1024;

  void ScheduleTick();
  void Tick();
  void FlushScheduled();

  const int index_;
  GatewayContext& ctx_;
  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer tick_timer_{ioc_};
  std::thread thread_;
  WorkerStats stats_;
  LocalRooms rooms_{*this};
  std::unique_ptr<char[]> read_buffer_;
  std::vector<std::shared_ptr<Connection>> connections_;
  // Raw pointers stay valid until the flush pass: Forget() parks a closed
  // connection in graveyard_, which is emptied after the pass.
  std::vector<Connection*> to_flush_;
  std::vector<std::shared_ptr<Connection>> graveyard_;
  bool flush_posted_ = false;
  uint64_t connection_serial_ = 0;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_WORKER_H_
