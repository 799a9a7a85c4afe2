#include "common/admin_server.h"

#include <sstream>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "prometheus/text_serializer.h"

namespace switchboard {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// One HTTP/1.1 connection to the admin port. Probes and scrapes are small and
// rare, so each request is answered in turn with a 10 s idle limit.
class AdminConnection : public std::enable_shared_from_this<AdminConnection> {
 public:
  using Handler = AdminServer::Handler;

  AdminConnection(tcp::socket socket, const Handler* handler)
      : stream_(std::move(socket)), handler_(handler) {}

  void Start() { DoRead(); }

 private:
  void DoRead() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Shutdown();
    response_ = (*handler_)(request_);
    response_.version(request_.version());
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->OnWrite(ec);
                      });
  }

  void OnWrite(beast::error_code ec) {
    if (ec || !response_.keep_alive()) return Shutdown();
    DoRead();
  }

  void Shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const Handler* handler_;
};

http::response<http::string_body> TextResponse(http::status status, std::string body,
                                               const char* content_type = "text/plain") {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

}  // namespace

AdminServer::AdminServer(std::shared_ptr<prometheus::Registry> registry,
                         ReadinessCheck readiness)
    : registry_(std::move(registry)),
      readiness_(std::move(readiness)),
      handler_([this](const Request& req) { return Handle(req); }) {}

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    const Options& options, std::shared_ptr<prometheus::Registry> registry,
    ReadinessCheck readiness) {
  std::unique_ptr<AdminServer> self(new AdminServer(std::move(registry), std::move(readiness)));
  beast::error_code ec;
  auto address = net::ip::make_address(options.address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("admin address: ", ec.message()));
  tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
  self->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) self->acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) self->acceptor_.bind(endpoint, ec);
  if (!ec) self->acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("admin port ", options.address, ":",
                                               options.port, ": ", ec.message()));
  }
  self->port_ = self->acceptor_.local_endpoint().port();
  self->DoAccept();
  self->thread_ = std::thread([raw = self.get()] { raw->ioc_.run(); });
  return self;
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  net::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    ioc_.stop();
  });
  thread_.join();
}

void AdminServer::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  absl::MutexLock lock(&mu_);
  collectables_.push_back(std::move(collectable));
}

void AdminServer::DoAccept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      // Aborted means Stop(); anything else (EMFILE, ...) is transient.
      if (ec != net::error::operation_aborted) DoAccept();
      return;
    }
    std::make_shared<AdminConnection>(std::move(socket), &handler_)->Start();
    DoAccept();
  });
}

http::response<http::string_body> AdminServer::Handle(const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return TextResponse(http::status::method_not_allowed, "GET only\n");
  }
  beast::string_view target = req.target();
  beast::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") return TextResponse(http::status::ok, "ok\n");
  if (path == "/readyz") {
    absl::Status ready = readiness_ ? readiness_() : absl::OkStatus();
    if (ready.ok()) return TextResponse(http::status::ok, "ready\n");
    return TextResponse(http::status::service_unavailable,
                        absl::StrCat("not ready: ", ready.message(), "\n"));
  }
  if (path == "/metrics") {
    std::ostringstream out;
    auto families = registry_->Collect();
    {
      absl::MutexLock lock(&mu_);
      for (const auto& c : collectables_) {
        auto more = c->Collect();
        families.insert(families.end(), more.begin(), more.end());
      }
    }
    prometheus::TextSerializer().Serialize(out, families);
    return TextResponse(http::status::ok, out.str(), "text/plain; version=0.0.4");
  }
  return TextResponse(http::status::not_found, "try /metrics, /healthz or /readyz\n");
}

}  // namespace switchboard
