#include "bench/micro/micro_gateway.h"

#include <sys/resource.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace switchboard::bench {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

void RaiseFdLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MicroGateway>> MicroGateway::Create(int connections,
                                                                   gateway::FrameFormat format) {
  std::unique_ptr<MicroGateway> gw(new MicroGateway());
  if (absl::Status s = gw->Init(connections, format); !s.ok()) return s;
  return gw;
}

MicroGateway::~MicroGateway() {
  // Connections close their sockets on the worker's io_context, so they go
  // before the worker; the hub stops before the worker it delivers to.
  connections_.clear();
  peers_.clear();
  if (hub_ != nullptr) hub_->Stop();
  hub_.reset();
  worker_.reset();
  if (nats_ != nullptr) nats_->Close();
}

absl::Status MicroGateway::Init(int connections, gateway::FrameFormat format) {
  RaiseFdLimit();
  options_.gateway_id = "micro-bench";
  options_.nats.name = "micro-bench";
  absl::StatusOr<std::unique_ptr<testing::NatsServer>> server =
      testing::NatsServer::Start({.jetstream = false});
  if (server.ok()) {
    nats_server_ = *std::move(server);
    options_.nats.urls = nats_server_->url();
    options_.nats.retry_on_failed_connect = false;
  } else {
    SB_LOG_ERROR("no nats-server ({}); each new room will wait 2 s",
                 server.status().ToString());
    // Port 1 refuses: the connection keeps retrying and never gets anywhere.
    options_.nats.urls = "nats://127.0.0.1:1";
    options_.nats.retry_on_failed_connect = true;
    options_.nats.reconnect_wait = absl::Seconds(10);
  }
  absl::StatusOr<std::unique_ptr<NatsConnection>> nats = NatsConnection::Connect(options_.nats);
  if (!nats.ok()) return nats.status();
  nats_ = *std::move(nats);

  ctx_.options = &options_;
  ctx_.nats = nats_.get();
  ctx_.limiter = &limiter_;
  ctx_.instance_tag = "micro";
  worker_ = std::make_unique<gateway::Worker>(0, ctx_);
  hub_ = std::make_unique<fanout::Hub>(nats_.get(), ctx_.subjects,
                                       std::vector<fanout::Hub::Sink*>{worker_.get()},
                                       /*history=*/nullptr);
  ctx_.hub = hub_.get();

  boost::system::error_code ec;
  tcp::acceptor acceptor(peer_io_);
  acceptor.open(tcp::v4(), ec);
  if (!ec) acceptor.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0), ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("listen on 127.0.0.1: ", ec.message()));
  const tcp::endpoint endpoint = acceptor.local_endpoint();
  peers_.reserve(connections);
  for (int i = 0; i < connections; ++i) {
    tcp::socket client(peer_io_);
    client.connect(endpoint, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("connect ", i, ": ", ec.message()));
    tcp::socket server(worker_->io());
    acceptor.accept(server, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("accept ", i, ": ", ec.message()));
    // What Connection::Start would do; Start itself would also start reading
    // and open the session, which these benchmarks do not want.
    server.non_blocking(true, ec);
    server.set_option(tcp::no_delay(true), ec);
    client.non_blocking(true, ec);
    peers_.push_back(std::move(client));
    connections_.push_back(std::make_shared<gateway::Connection>(
        *worker_, gateway::Transport(std::move(server)), format,
        gateway::ConnectionSlot::Claim(limiter_, "127.0.0.1"), ""));
  }
  drain_buffer_.resize(256 * 1024);
  return absl::OkStatus();
}

void MicroGateway::JoinAll(const std::string& room, int first, int count) {
  for (int i = first; i < first + count && i < size(); ++i) {
    gateway::LocalRooms::JoinRequest request;
    request.reply_id = 1;
    request.room = room;
    rooms().Join(connections_[i].get(), std::move(request));
  }
  FlushAndDrain(first, count);
}

std::string MicroGateway::RoomOfSize(int members) {
  members = std::max(1, std::min(members, size() - 1));
  std::string room = absl::StrCat("eph:size-", members);
  if (rooms().Members(room).empty()) JoinAll(room, 0, members);
  return room;
}

uint64_t MicroGateway::LastOffset(const std::string& room) const {
  auto it = last_offsets_.find(room);
  return it == last_offsets_.end() ? 0 : it->second;
}

void MicroGateway::SetLastOffset(const std::string& room, uint64_t offset) {
  last_offsets_[room] = offset;
}

void MicroGateway::RunPending() {
  worker_->io().restart();
  worker_->io().poll();
}

size_t MicroGateway::DrainPeers(int first, int count) {
  size_t total = 0;
  for (int i = std::max(first, 0); i < first + count && i < size(); ++i) {
    tcp::socket& peer = peers_[i];
    while (true) {
      boost::system::error_code ec;
      const size_t n = peer.read_some(net::buffer(drain_buffer_), ec);
      if (ec) break;  // would_block: drained (nothing else happens here)
      total += n;
      if (n < drain_buffer_.size()) break;
    }
  }
  return total;
}

size_t MicroGateway::FlushAndDrain(int first, int count) {
  RunPending();
  return DrainPeers(first, count);
}

namespace {
std::unique_ptr<MicroGateway> shared_gateways[2];
}  // namespace

absl::StatusOr<MicroGateway*> SharedMicroGateway(gateway::FrameFormat format) {
  std::unique_ptr<MicroGateway>& slot = shared_gateways[static_cast<int>(format)];
  if (slot == nullptr) {
    absl::StatusOr<std::unique_ptr<MicroGateway>> gw =
        MicroGateway::Create(kSharedGatewayConnections, format);
    if (!gw.ok()) return gw.status();
    slot = *std::move(gw);
  }
  return slot.get();
}

void ReleaseSharedMicroGateways() {
  for (auto& gw : shared_gateways) gw.reset();
}

}  // namespace switchboard::bench
