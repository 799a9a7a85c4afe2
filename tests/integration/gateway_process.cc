#include "tests/integration/gateway_process.h"

#include <signal.h>

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/auth/token_signer.h"
#include "tests/testing/http_get.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/wait.h"

namespace switchboard::testing {

const std::string& GatewayProcess::Secret() {
  static const std::string* secret = new std::string("integration-test-hs256-secret-0123456789abcdef");
  return *secret;
}

std::string GatewayProcess::Token(const std::string& user, std::vector<std::string> rooms,
                                  std::optional<std::vector<std::string>> publish,
                                  absl::Duration ttl) {
  gateway::auth::KeyConfig key;
  key.algorithm = gateway::auth::JwsAlgorithm::kHs256;
  key.material = Secret();
  auto signer = gateway::auth::TokenSigner::Create(key);
  gateway::auth::Claims claims;
  claims.user_id = user;
  claims.expires_at = absl::Now() + ttl;
  claims.join_patterns = rooms;
  claims.publish_patterns = publish.value_or(rooms);
  auto token = signer->Sign(claims, absl::Now() - absl::Seconds(ttl < absl::ZeroDuration() ? 7200 : 0));
  return token.ok() ? *token : "";
}

absl::StatusOr<std::unique_ptr<GatewayProcess>> GatewayProcess::Start(
    const std::string& nats_url, const std::string& id, std::vector<std::string> extra_flags) {
  std::unique_ptr<GatewayProcess> self(new GatewayProcess());
  self->nats_url_ = nats_url;
  self->id_ = id;
  self->extra_flags_ = std::move(extra_flags);
  auto port = PickFreePort();
  auto admin = PickFreePort();
  if (!port.ok() || !admin.ok()) return absl::UnavailableError("no free port");
  self->port_ = *port;
  self->admin_port_ = *admin;
  self->dir_ = std::make_unique<TempDir>("gateway");
  std::ofstream(self->dir_->path() + "/hs256.key") << Secret() << "\n";
  if (absl::Status s = self->Launch(); !s.ok()) return s;
  return self;
}

absl::Status GatewayProcess::Launch() {
  std::vector<std::string> argv = {
      Runfile("gateway/switchboard-gateway"),
      "--nats_url=" + nats_url_,
      "--gateway_id=" + id_,
      absl::StrCat("--listen=127.0.0.1:", port_),
      absl::StrCat("--admin_listen=127.0.0.1:", admin_port_),
      "--jwt_hs256_key_file=" + dir_->path() + "/hs256.key",
      "--storage=memory",
  };
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  SubprocessOptions options;
  options.log_path = absl::StrCat(dir_->path(), "/gateway.log");
  auto proc = Subprocess::Start(argv, options);
  if (!proc.ok()) return proc.status();
  process_ = std::move(*proc);
  const int admin = admin_port_;
  Subprocess* process = process_.get();
  const bool ready = WaitFor(
      [admin, process] {
        if (!process->Running()) return true;  // Reported below, without waiting.
        auto res = HttpGet(admin, "/readyz", absl::Seconds(1));
        return res.ok() && res->status == 200;
      },
      absl::Seconds(30));
  if (!process_->Running()) {
    return absl::UnavailableError(absl::StrCat("gateway ", id_, " exited:\n", process_->Log()));
  }
  if (!ready) {
    return absl::DeadlineExceededError(absl::StrCat("gateway ", id_, " not ready:\n", process_->Log()));
  }
  return absl::OkStatus();
}

void GatewayProcess::Kill() {
  // Fails only if the process is already gone, which is what Kill wants.
  process_->Signal(SIGKILL).IgnoreError();
  process_->Wait(absl::Seconds(10)).IgnoreError();
}

absl::Status GatewayProcess::Restart() { return Launch(); }

switchboard::client::ClientOptions GatewayProcess::ClientOptionsFor(
    const std::string& token, switchboard::client::Format format) const {
  switchboard::client::ClientOptions options;
  options.port = port_;
  options.token = token;
  options.format = format;
  options.connect_timeout = absl::Seconds(10);
  options.request_timeout = absl::Seconds(10);
  return options;
}

double GatewayProcess::Metric(const std::string& sample) const {
  auto res = HttpGet(admin_port_, "/metrics", absl::Seconds(5));
  if (!res.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(res->body, '\n')) {
    if (line.size() > sample.size() && line.substr(0, sample.size()) == sample &&
        line[sample.size()] == ' ') {
      double v;
      if (absl::SimpleAtod(line.substr(sample.size() + 1), &v)) return v;
    }
  }
  return -1;
}

}  // namespace switchboard::testing
