#include "tests/integration/control_process.h"

#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/testing/http_get.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/wait.h"

namespace switchboard::testing {

namespace cv1 = switchboard::control::v1;

absl::StatusOr<std::unique_ptr<ControlProcess>> ControlProcess::Start(
    const std::string& nats_url, const std::string& id, std::vector<std::string> extra_flags) {
  std::unique_ptr<ControlProcess> self(new ControlProcess());
  self->nats_url_ = nats_url;
  self->id_ = id;
  self->extra_flags_ = std::move(extra_flags);
  absl::StatusOr<int> grpc_port = PickFreePort();
  absl::StatusOr<int> admin_port = PickFreePort();
  if (!grpc_port.ok() || !admin_port.ok()) return absl::UnavailableError("no free port");
  self->grpc_port_ = *grpc_port;
  self->admin_port_ = *admin_port;
  self->dir_ = std::make_unique<TempDir>("control");
  if (absl::Status s = self->Launch(); !s.ok()) return s;
  return self;
}

absl::Status ControlProcess::Launch() {
  std::vector<std::string> argv = {
      Runfile("control/switchboard-control"),
      "--nats_url=" + nats_url_,
      "--control_id=" + id_,
      absl::StrCat("--grpc_listen=127.0.0.1:", grpc_port_),
      absl::StrCat("--admin_listen=127.0.0.1:", admin_port_),
      "--storage=memory",
      // Ends a killed-test's leftovers quickly; SIGKILL ignores it anyway.
      "--shutdown_grace=1s",
  };
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  SubprocessOptions options;
  // Appended to across restarts, so one log tells the whole story.
  options.log_path = absl::StrCat(dir_->path(), "/control.log");
  absl::StatusOr<std::unique_ptr<Subprocess>> proc = Subprocess::Start(argv, options);
  if (!proc.ok()) return proc.status();
  process_ = *std::move(proc);
  const int admin = admin_port_;
  Subprocess* process = process_.get();
  const bool ready = WaitFor(
      [admin, process] {
        if (!process->Running()) return true;  // Reported below, without waiting.
        absl::StatusOr<HttpResponse> res = HttpGet(admin, "/readyz", absl::Seconds(1));
        return res.ok() && res->status == 200;
      },
      absl::Seconds(30), absl::Milliseconds(20));
  if (!ready || !process_->Running()) {
    return absl::UnavailableError(
        absl::StrCat("control ", id_, " not ready:\n", process_->Log()));
  }
  return absl::OkStatus();
}

std::string ControlProcess::target() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::unique_ptr<cv1::ControlService::Stub> ControlProcess::NewStub() const {
  return cv1::ControlService::NewStub(
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> ControlProcess::Context(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

void ControlProcess::Kill() {
  process_->Signal(SIGKILL).IgnoreError();
  process_->Wait(absl::Seconds(10)).IgnoreError();
}

absl::Status ControlProcess::Restart() {
  if (process_->Running()) Kill();
  return Launch();
}

}  // namespace switchboard::testing
