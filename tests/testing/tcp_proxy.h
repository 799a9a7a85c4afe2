#ifndef SWITCHBOARD_TESTS_TESTING_TCP_PROXY_H_
#define SWITCHBOARD_TESTS_TESTING_TCP_PROXY_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace switchboard {
namespace testing {

// A TCP forwarder on 127.0.0.1 that a test can cut and restore, to take one
// process off a server (say a gateway off NATS) while everything else keeps
// running. Cut() closes every forwarded connection and refuses new ones
// (accepted, then closed at once, as a dead link would look to a client that
// retries); Restore() forwards again. Bytes are copied as they come, in both
// directions, on one thread of its own (poll).
//
// Thread-safe.
class TcpProxy {
 public:
  // Listens on a free port and forwards to 127.0.0.1:`target_port`.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // Closes the connections being forwarded and refuses new ones; returns
  // once they are closed.
  void Cut();
  void Restore();
  // Connections accepted and forwarded since start (refused ones excluded).
  int forwarded() const { return forwarded_.load(); }

 private:
  TcpProxy() = default;
  void Loop();

  int listen_fd_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  // Wakes the loop (a pipe) when Cut, Restore or the destructor need it.
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<int> forwarded_{0};

  absl::Mutex mu_;
  bool cut_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Incremented by the loop each time it has applied a cut.
  int cuts_applied_ ABSL_GUARDED_BY(mu_) = 0;
  int cuts_requested_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_TCP_PROXY_H_
