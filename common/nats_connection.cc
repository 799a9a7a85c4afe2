#include "common/nats_connection.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "common/nats_status.h"

namespace switchboard {
namespace {

// "nats://user:pass@host:4222,..." without the credentials, for logs.
std::string RedactUrls(const std::string& urls) {
  std::string out;
  size_t start = 0;
  while (start <= urls.size()) {
    size_t end = urls.find(',', start);
    if (end == std::string::npos) end = urls.size();
    std::string url = urls.substr(start, end - start);
    const size_t scheme = url.find("://");
    const size_t at = url.find('@');
    if (at != std::string::npos) {
      const size_t from = scheme == std::string::npos ? 0 : scheme + 3;
      if (at > from) url = url.substr(0, from) + "[redacted]@" + url.substr(at + 1);
    }
    if (!out.empty()) out += ",";
    out += url;
    start = end + 1;
  }
  return out;
}

// natsOptions is only needed while connecting.
struct OptionsDeleter {
  void operator()(natsOptions* opts) const { natsOptions_Destroy(opts); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<NatsConnection>> NatsConnection::Connect(
    const NatsConnectionOptions& options, StateListener listener) {
  std::unique_ptr<NatsConnection> self(new NatsConnection());
  self->listener_ = std::move(listener);

  natsOptions* raw_opts = nullptr;
  if (natsStatus s = natsOptions_Create(&raw_opts); s != NATS_OK) {
    return FromNatsStatus(s, "nats options");
  }
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw_opts);
  // NATS.c's SetURL takes one URL only (a comma-separated list never
  // connects): split the list and hand every server to SetServers.
  std::vector<std::string> urls;
  for (absl::string_view url : absl::StrSplit(options.urls, ',', absl::SkipWhitespace())) {
    urls.emplace_back(absl::StripAsciiWhitespace(url));
  }
  if (urls.empty()) return absl::InvalidArgumentError("no NATS server URL given");
  std::vector<const char*> servers;
  for (const std::string& url : urls) servers.push_back(url.c_str());
  natsStatus s = natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK && !options.name.empty()) s = natsOptions_SetName(opts.get(), options.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(opts.get(), absl::ToInt64Milliseconds(options.reconnect_wait));
  }
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts.get(), absl::ToInt64Milliseconds(options.connect_timeout));
  }
  // No reconnect buffer: while disconnected, publishes fail at once with a
  // retryable error instead of piling up unacknowledged in memory.
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts.get(), 0);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts.get(), options.send_asap);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts.get(), &OnDisconnected, self.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), &OnReconnected, self.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts.get(), &OnClosed, self.get());
  if (s == NATS_OK && options.delivery_threads > 0) {
    s = nats_SetMessageDeliveryPoolSize(options.delivery_threads);
    if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(opts.get(), true);
  }
  if (s == NATS_OK && options.retry_on_failed_connect) {
    s = natsOptions_SetRetryOnFailedConnect(opts.get(), true, &OnConnected, self.get());
  }
  if (s != NATS_OK) return FromNatsStatus(s, "nats options");

  s = natsConnection_Connect(&self->conn_, opts.get());
  if (s == NATS_OK) {
    self->SetConnected(true);
  } else if (!(s == NATS_NOT_YET_CONNECTED && options.retry_on_failed_connect)) {
    return FromNatsStatus(s, "connect to " + RedactUrls(options.urls));
  } else {
    SB_LOG_WARN("NATS at {} not reachable yet; retrying in the background",
                RedactUrls(options.urls));
  }

  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.Wait = absl::ToInt64Milliseconds(options.jetstream_timeout);
  s = natsConnection_JetStream(&self->js_, self->conn_, &js_opts);
  if (s != NATS_OK) return FromNatsStatus(s, "jetstream context");
  return self;
}

NatsConnection::~NatsConnection() {
  Close();
  if (conn_ != nullptr) closed_callback_done_.WaitForNotificationWithTimeout(absl::Seconds(5));
  jsCtx_Destroy(js_);
  natsConnection_Destroy(conn_);
}

void NatsConnection::Close() {
  if (conn_ == nullptr || closed_.exchange(true)) return;
  if (connected()) natsConnection_FlushTimeout(conn_, 1000);
  natsConnection_Close(conn_);
  SetConnected(false);
}

bool NatsConnection::WaitConnected(absl::Duration timeout) const {
  auto is_connected = [this] { return connected(); };
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&is_connected), timeout);
}

void NatsConnection::SetConnected(bool connected) {
  bool was;
  {
    // Under mu_ so that waiters in WaitConnected re-evaluate their condition.
    absl::MutexLock lock(&mu_);
    was = connected_.exchange(connected, std::memory_order_acq_rel);
  }
  if (was == connected) return;
  if (!connected) disconnects_.fetch_add(1, std::memory_order_relaxed);
  if (listener_) listener_(connected);
}

void NatsConnection::OnConnected(natsConnection*, void* closure) {
  SB_LOG_INFO("connected to NATS");
  static_cast<NatsConnection*>(closure)->SetConnected(true);
}

void NatsConnection::OnDisconnected(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  if (!self->closed_.load()) SB_LOG_WARN("disconnected from NATS; reconnecting");
  self->SetConnected(false);
}

void NatsConnection::OnReconnected(natsConnection*, void* closure) {
  SB_LOG_INFO("reconnected to NATS");
  static_cast<NatsConnection*>(closure)->SetConnected(true);
}

void NatsConnection::OnClosed(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  self->SetConnected(false);
  if (!self->closed_callback_done_.HasBeenNotified()) self->closed_callback_done_.Notify();
}

}  // namespace switchboard
