#ifndef SWITCHBOARD_COMMON_ADMIN_SERVER_H_
#define SWITCHBOARD_COMMON_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace switchboard {

// The admin HTTP port of every Switchboard process:
//   GET /metrics  Prometheus text format of `registry`
//   GET /healthz  200 "ok" while the process runs (liveness)
//   GET /readyz   200 "ready", or 503 with the reason from the readiness check
//                 (not connected to NATS, draining, ...)
// It runs its own thread and io_context so that a busy data plane never
// delays a probe. Methods may be called from any thread.
class AdminServer {
 public:
  // Returns OK when the process should receive traffic, else why not.
  using ReadinessCheck = std::function<absl::Status()>;

  struct Options {
    std::string address = "127.0.0.1";
    // 0 picks a free port; see port().
    int port = 0;
  };

  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      const Options& options, std::shared_ptr<prometheus::Registry> registry,
      ReadinessCheck readiness);

  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The bound port.
  int port() const { return port_; }

  // Adds metrics that are computed at scrape time (e.g. sums over workers).
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Stops accepting and joins the thread; idempotent.
  void Stop();

  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Handler = std::function<Response(const Request&)>;

 private:
  AdminServer(std::shared_ptr<prometheus::Registry> registry, ReadinessCheck readiness);
  void DoAccept();
  Response Handle(const Request& req);

  std::shared_ptr<prometheus::Registry> registry_;
  ReadinessCheck readiness_;
  boost::asio::io_context ioc_{1};
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  int port_ = 0;
  Handler handler_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_ADMIN_SERVER_H_
