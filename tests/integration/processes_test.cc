// Starts the real gateway and control binaries against a real nats-server and
// checks what every process promises from day one: health and readiness that
// follow the NATS connection, metrics, gRPC health, and a clean SIGTERM exit.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

using testing::HttpGet;
using testing::NatsServer;
using testing::Subprocess;
using testing::WaitFor;

int HttpStatus(int port, const char* path) {
  auto res = HttpGet(port, path, absl::Seconds(2));
  return res.ok() ? res->status : -1;
}

class ProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
  }

  std::unique_ptr<Subprocess> StartGateway(int admin_port) {
    const std::string key = dir_.path() + "/hs256.key";
    std::ofstream(key) << "an-hs256-test-secret-of-at-least-32-bytes\n";
    auto proc = Subprocess::Start({testing::Runfile("gateway/switchboard-gateway"),
                                   "--nats_url=" + nats_->url(),
                                   absl::StrCat("--admin_listen=127.0.0.1:", admin_port),
                                   absl::StrCat("--listen=127.0.0.1:", *testing::PickFreePort()),
                                   "--jwt_hs256_key_file=" + key, "--storage=memory",
                                   "--gateway_id=gw-test"},
                                  {});
    EXPECT_TRUE(proc.ok()) << proc.status();
    return proc.ok() ? std::move(*proc) : nullptr;
  }

  std::unique_ptr<Subprocess> StartControl(int grpc_port, int admin_port) {
    auto proc = Subprocess::Start({testing::Runfile("control/switchboard-control"),
                                   "--nats_url=" + nats_->url(),
                                   absl::StrCat("--grpc_listen=127.0.0.1:", grpc_port),
                                   absl::StrCat("--admin_listen=127.0.0.1:", admin_port),
                                   "--control_id=ctl-test"},
                                  {});
    EXPECT_TRUE(proc.ok()) << proc.status();
    return proc.ok() ? std::move(*proc) : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<NatsServer> nats_;
};

TEST_F(ProcessesTest, GatewayReadinessFollowsNatsAndExitsOnSigterm) {
  int admin = *testing::PickFreePort();
  auto gw = StartGateway(admin);
  ASSERT_NE(gw, nullptr);
  ASSERT_TRUE(WaitFor([&] { return HttpStatus(admin, "/readyz") == 200; }, absl::Seconds(20)))
      << gw->Log();
  EXPECT_EQ(HttpStatus(admin, "/healthz"), 200);
  EXPECT_EQ(HttpStatus(admin, "/nope"), 404);
  auto metrics = HttpGet(admin, "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(absl::StrContains(metrics->body, "switchboard_nats_connected 1")) << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body, "id=\"gw-test\""));

  // NATS goes away: still alive, no longer ready.
  ASSERT_TRUE(nats_->Kill().ok());
  ASSERT_TRUE(WaitFor([&] { return HttpStatus(admin, "/readyz") == 503; }, absl::Seconds(20)));
  EXPECT_EQ(HttpStatus(admin, "/healthz"), 200);
  auto body = HttpGet(admin, "/readyz");
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(absl::StrContains(body->body, "NATS")) << body->body;

  // NATS comes back on the same port: the gateway reconnects by itself.
  ASSERT_TRUE(nats_->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return HttpStatus(admin, "/readyz") == 200; }, absl::Seconds(20)))
      << gw->Log();

  auto code = gw->Stop(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << gw->Log();
}

TEST_F(ProcessesTest, ControlServesGrpcHealthAndExitsOnSigterm) {
  int grpc_port = *testing::PickFreePort();
  int admin = *testing::PickFreePort();
  auto ctl = StartControl(grpc_port, admin);
  ASSERT_NE(ctl, nullptr);
  ASSERT_TRUE(WaitFor([&] { return HttpStatus(admin, "/readyz") == 200; }, absl::Seconds(20)))
      << ctl->Log();

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  auto check = [&]() -> grpc::health::v1::HealthCheckResponse::ServingStatus {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status status = stub->Check(&ctx, req, &resp);
    if (!status.ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    return resp.status();
  };
  EXPECT_TRUE(WaitFor([&] { return check() == grpc::health::v1::HealthCheckResponse::SERVING; },
                      absl::Seconds(10)));

  // Without NATS the control plane can serve nothing: gRPC health says so.
  ASSERT_TRUE(nats_->Kill().ok());
  EXPECT_TRUE(WaitFor(
      [&] { return check() == grpc::health::v1::HealthCheckResponse::NOT_SERVING; },
      absl::Seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return HttpStatus(admin, "/readyz") == 503; }, absl::Seconds(5)));
  ASSERT_TRUE(nats_->Restart().ok());
  EXPECT_TRUE(WaitFor([&] { return check() == grpc::health::v1::HealthCheckResponse::SERVING; },
                      absl::Seconds(20)));

  auto code = ctl->Stop(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << ctl->Log();
}

TEST_F(ProcessesTest, BadFlagsFailFast) {
  auto gw = Subprocess::Start(
      {testing::Runfile("gateway/switchboard-gateway"), "--admin_listen=nonsense"}, {});
  ASSERT_TRUE(gw.ok());
  auto code = (*gw)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_TRUE(absl::StrContains((*gw)->Log(), "admin_listen")) << (*gw)->Log();
}

}  // namespace
}  // namespace switchboard
