#ifndef SWITCHBOARD_COMMON_NATS_CONNECTION_H_
#define SWITCHBOARD_COMMON_NATS_CONNECTION_H_

#include <nats/nats.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace switchboard {

struct NatsConnectionOptions {
  // Comma-separated server URLs ("nats://127.0.0.1:4222,nats://...").
  std::string urls = "nats://127.0.0.1:4222";
  // Shown in the server's connection list ("sb-gateway gw-1").
  std::string name;
  // Wait between reconnect attempts to the same server (jittered by NATS.c).
  absl::Duration reconnect_wait = absl::Milliseconds(250);
  // Timeout of a single connect attempt.
  absl::Duration connect_timeout = absl::Seconds(2);
  // Default timeout for JetStream API calls and publish acks.
  absl::Duration jetstream_timeout = absl::Seconds(5);
  // When false, Connect fails if no server answers now; when true, it returns
  // at once and keeps trying in the background (processes start before NATS).
  bool retry_on_failed_connect = true;
  // Write each publish to the socket from the publishing thread. Otherwise
  // NATS.c hands it to its flusher thread, which waits 1 ms for more before
  // it writes: a millisecond on every persisted publish and a thread hop on a
  // busy core. The cost is a write call per publish.
  bool send_asap = true;
  // Subscriptions share a pool of this many delivery threads (process-wide)
  // instead of one thread each: a gateway subscribes two subjects per room.
  // Each subscription's messages still arrive in order, on one thread.
  int delivery_threads = 2;
};

// Owns one NATS.c connection and its JetStream context. Reconnects forever; the
// connection state is observable without locking. NATS.c is thread-safe, so
// raw() and jetstream() may be used from any thread; the listener is called on
// NATS.c's own threads and must not block.
class NatsConnection {
 public:
  using StateListener = std::function<void(bool connected)>;

  // Connects (or starts connecting, see retry_on_failed_connect).
  static absl::StatusOr<std::unique_ptr<NatsConnection>> Connect(
      const NatsConnectionOptions& options, StateListener listener = nullptr);

  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // True while connected to a server.
  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // Times the connection was lost since start (for metrics).
  uint64_t disconnects() const { return disconnects_.load(std::memory_order_relaxed); }

  natsConnection* raw() const { return conn_; }
  jsCtx* jetstream() const { return js_; }

  // Waits until connected or the timeout passes; returns connected().
  bool WaitConnected(absl::Duration timeout) const;

  // Flushes pending publishes and closes; idempotent.
  void Close();

 private:
  NatsConnection() = default;

  static void OnConnected(natsConnection* nc, void* closure);
  static void OnDisconnected(natsConnection* nc, void* closure);
  static void OnReconnected(natsConnection* nc, void* closure);
  static void OnClosed(natsConnection* nc, void* closure);
  void SetConnected(bool connected);

  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  StateListener listener_;
  std::atomic<bool> connected_{false};
  // Lets WaitConnected block on a condition instead of polling.
  mutable absl::Mutex mu_;
  std::atomic<uint64_t> disconnects_{0};
  std::atomic<bool> closed_{false};
  // NATS.c calls OnClosed on its own thread after natsConnection_Close; the
  // destructor waits for it so that no callback runs on a freed object.
  absl::Notification closed_callback_done_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_NATS_CONNECTION_H_
