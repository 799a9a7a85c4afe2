// ControlServer as a process would run it: NATS unreachable at start, stream
// provisioning and conflicts, readiness, TLS and mutual TLS.
#include "control/control_server.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/ports.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard::control {
namespace {

namespace v1 = switchboard::control::v1;
using ::switchboard::testing::HttpGet;
using ::switchboard::testing::NatsServer;
using ::switchboard::testing::WaitFor;

ControlOptions TestOptions(const std::string& nats_url) {
  ControlOptions options;
  options.control_id = "control-test";
  options.grpc_address = "127.0.0.1:0";
  options.admin_port = 0;
  options.nats.urls = nats_url;
  options.stream.file_storage = false;
  return options;
}

grpc::Status PublishText(const std::shared_ptr<grpc::Channel>& channel, const std::string& room) {
  auto stub = v1::ControlService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::PublishRequest request;
  request.set_room(room);
  request.mutable_payload()->set_text("x");
  v1::PublishResponse response;
  return stub->Publish(&ctx, request, &response);
}

int ReadyStatus(const ControlServer& server) {
  auto ready = HttpGet(server.admin_port(), "/readyz");
  return ready.ok() ? ready->status : -1;
}

TEST(ControlServerTest, StartsWithoutNatsAndProvisionsTheStreamOnceItIsUp) {
  auto port = switchboard::testing::PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  auto server = ControlServer::Start(TestOptions(absl::StrCat("nats://127.0.0.1:", *port)));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(ReadyStatus(**server), 503);
  EXPECT_FALSE((*server)->stream_ready());
  EXPECT_EQ(PublishText(channel, "early").error_code(), grpc::StatusCode::UNAVAILABLE);

  switchboard::testing::NatsServerOptions nats_options;
  nats_options.port = *port;
  auto nats = NatsServer::Start(nats_options);
  ASSERT_TRUE(nats.ok()) << nats.status();
  EXPECT_TRUE(WaitFor([&] { return ReadyStatus(**server) == 200; }, absl::Seconds(20)));
  EXPECT_TRUE((*server)->stream_ready());
  EXPECT_TRUE(PublishText(channel, "late").ok());
  (*server)->Stop(absl::Seconds(1));
}

TEST(ControlServerTest, RefusesAConflictingStreamUnlessToldToUpdateIt) {
  auto nats = NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  ControlOptions options = TestOptions((*nats)->url());
  options.stream.history_per_room = 10;
  {
    auto first = ControlServer::Start(options);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_TRUE((*first)->stream_ready());
    EXPECT_EQ(ReadyStatus(**first), 200);
  }
  options.stream.history_per_room = 20;
  auto conflicting = ControlServer::Start(options);
  EXPECT_TRUE(absl::IsFailedPrecondition(conflicting.status())) << conflicting.status();
  options.stream_update = true;
  auto updating = ControlServer::Start(options);
  EXPECT_TRUE(updating.ok()) << updating.status();
}

TEST(ControlServerTest, BadKeysFileOrTlsFlagsFailTheStart) {
  auto nats = NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  ControlOptions options = TestOptions((*nats)->url());
  options.api_keys_file = "/nonexistent/keys";
  EXPECT_FALSE(ControlServer::Start(options).ok());
  options = TestOptions((*nats)->url());
  options.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_TRUE(absl::IsInvalidArgument(ControlServer::Start(options).status()))
      << "cert without key";
}

class ControlServerTlsTest : public ::testing::Test {
 protected:
  // A CA, a server certificate for localhost/127.0.0.1 and a client
  // certificate, made by the openssl command line tool; and a second CA with
  // a server certificate of its own, for the renewal test.
  void SetUp() override {
    dir_ = std::make_unique<switchboard::testing::TempDir>("control-tls");
    const std::string script = R"(set -e
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
  -out ca.pem -days 1 -subj /CN=sb-test-ca
for who in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $who.key \
    -out $who.csr -subj /CN=localhost
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem \
    -days 1 -extfile san.ext
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca2.key \
  -out ca2.pem -days 1 -subj /CN=sb-test-ca-2
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server2.key \
  -out server2.csr -subj /CN=localhost
openssl x509 -req -in server2.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -out server2.pem \
  -days 1 -extfile san.ext
)";
    switchboard::testing::SubprocessOptions options;
    options.working_dir = dir_->path();
    auto openssl = switchboard::testing::Subprocess::Start({"/bin/sh", "-c", script}, options);
    ASSERT_TRUE(openssl.ok()) << openssl.status();
    auto code = (*openssl)->Wait(absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    ASSERT_EQ(*code, 0) << (*openssl)->Log();
    auto nats = NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
  }

  std::string Read(const std::string& name) {
    std::ifstream in(dir_->path() + "/" + name);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  // A channel of its own (no connection shared with earlier channels) that
  // trusts `ca`.
  std::shared_ptr<grpc::Channel> TlsChannel(int port, bool client_cert,
                                            const std::string& ca = "ca.pem") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(ca);
    if (client_cert) {
      ssl.pem_cert_chain = Read("client.pem");
      ssl.pem_private_key = Read("client.key");
    }
    // An IP target (no resolver involved), verified as the certificate's name.
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(ssl),
                                     args);
  }

  std::unique_ptr<switchboard::testing::TempDir> dir_;
  std::unique_ptr<NatsServer> nats_;
};

TEST_F(ControlServerTlsTest, ServesTlsOnly) {
  ControlOptions options = TestOptions(nats_->url());
  options.tls_cert_file = dir_->path() + "/server.pem";
  options.tls_key_file = dir_->path() + "/server.key";
  auto server = ControlServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->grpc_port();
  EXPECT_TRUE(PublishText(TlsChannel(port, false), "secure").ok());
  auto plaintext = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       grpc::InsecureChannelCredentials());
  EXPECT_EQ(PublishText(plaintext, "insecure").error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ControlServerTlsTest, MutualTlsRequiresAClientCertificate) {
  ControlOptions options = TestOptions(nats_->url());
  options.tls_cert_file = dir_->path() + "/server.pem";
  options.tls_key_file = dir_->path() + "/server.key";
  options.tls_client_ca_file = dir_->path() + "/ca.pem";
  auto server = ControlServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->grpc_port();
  EXPECT_TRUE(PublishText(TlsChannel(port, true), "with-cert").ok());
  EXPECT_EQ(PublishText(TlsChannel(port, false), "without-cert").error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// Renewal without a restart: the files are replaced by rename (as cert-manager
// and certbot do), and new connections get the new certificate within the
// refresh interval.
TEST_F(ControlServerTlsTest, RenewedCertificateFilesAreServedWithoutARestart) {
  const std::string cert = dir_->path() + "/served.pem";
  const std::string key = dir_->path() + "/served.key";
  const auto serve = [&](const std::string& from_cert, const std::string& from_key) {
    for (const auto& [from, to] : {std::pair{from_cert, cert}, std::pair{from_key, key}}) {
      std::ofstream(to + ".new") << Read(from);
      ASSERT_EQ(std::rename((to + ".new").c_str(), to.c_str()), 0);
    }
  };
  serve("server.pem", "server.key");
  ControlOptions options = TestOptions(nats_->url());
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  options.tls_refresh_interval = absl::Seconds(1);
  auto server = ControlServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->grpc_port();
  auto before = TlsChannel(port, false, "ca.pem");
  ASSERT_TRUE(PublishText(before, "before").ok());
  EXPECT_FALSE(PublishText(TlsChannel(port, false, "ca2.pem"), "too-early").ok());

  serve("server2.pem", "server2.key");
  EXPECT_TRUE(switchboard::testing::WaitFor(
      [&] { return PublishText(TlsChannel(port, false, "ca2.pem"), "renewed").ok(); },
      absl::Seconds(20)));
  EXPECT_FALSE(PublishText(TlsChannel(port, false, "ca.pem"), "old-ca").ok());
  // The connection made before the renewal goes on.
  EXPECT_TRUE(PublishText(before, "still-open").ok());

  // A broken file keeps the last good certificate: new connections keep
  // succeeding through three refresh intervals.
  std::ofstream(cert, std::ios::trunc) << "not a certificate\n";
  const absl::Time until = absl::Now() + absl::Seconds(3);
  int attempts = 0;
  while (absl::Now() < until) {
    ASSERT_TRUE(PublishText(TlsChannel(port, false, "ca2.pem"), "after-broken").ok())
        << "attempt " << attempts;
    ++attempts;
  }
  EXPECT_GT(attempts, 0);
}

}  // namespace
}  // namespace switchboard::control
