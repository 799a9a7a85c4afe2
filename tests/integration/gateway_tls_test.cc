// wss://: a real gateway started with --tls_cert_file/--tls_key_file (a
// certificate made at test time) against a real nats-server, reached by the
// C++ client over TLS, and by raw sockets that do not speak TLS or never
// finish the handshake. The plain ws:// path is covered by gateway_test,
// gateway_limits_test and abuse_test.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/client.h"
#include "clients/cpp/gateway_url.h"
#include "clients/cpp/message_util.h"
#include "gtest/gtest.h"
#include "tests/gateway/test_certificates.h"
#include "tests/integration/gateway_process.h"
#include "tests/integration/raw_ws_client.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
using switchboard::client::Client;
using switchboard::client::ClientOptions;
using switchboard::client::Format;
using switchboard::client::TextPayload;
using testing::GatewayProcess;
using testing::RawWsClient;
using testing::TestCertificate;

constexpr size_t kMaxMessageBytes = 256 * 1024;
constexpr char kFailures[] = "switchboard_gateway_tls_handshake_failures_total";

std::string FailureMetric(absl::string_view reason) {
  return absl::StrCat(kFailures, "{reason=\"", reason, "\"}");
}

class GatewayTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = nats->release();
    dir_ = new testing::TempDir("gateway_tls");
    auto cert = testing::WriteSelfSignedCertificate(dir_->path());
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_ = new TestCertificate(*cert);
    // Two workers: the TLS context is shared by both.
    auto gw = GatewayProcess::Start(
        nats_->url(), "gw-tls",
        {"--tls_cert_file=" + cert_->cert_file, "--tls_key_file=" + cert_->key_file,
         "--handshake_timeout=1s", "--workers=2",
         absl::StrCat("--max_message_bytes=", kMaxMessageBytes),
         absl::StrCat("--max_payload_bytes=", kMaxMessageBytes - 4096)});
    ASSERT_TRUE(gw.ok()) << gw.status();
    gw_ = gw->release();
  }
  static void TearDownTestSuite() {
    delete gw_;
    delete cert_;
    delete dir_;
    delete nats_;
  }

  // wss:// to the gateway by IP address, trusting the test certificate.
  static ClientOptions TlsOptions(const std::string& user, Format format = Format::kProtobuf) {
    ClientOptions options = gw_->ClientOptionsFor(GatewayProcess::Token(user), format);
    options.tls = true;
    options.tls_ca_file = cert_->cert_file;
    return options;
  }

  static std::unique_ptr<Client> Connected(const std::string& user, Format format) {
    auto client = std::make_unique<Client>(TlsOptions(user, format));
    auto welcome = client->Connect();
    EXPECT_TRUE(welcome.ok()) << welcome.status();
    if (welcome.ok()) {
      EXPECT_EQ(welcome->user_id(), user);
    }
    return client;
  }

  static std::optional<cv1::Message> NextMessage(Client& c) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      auto push = c.NextPush(deadline - absl::Now());
      if (!push) return std::nullopt;
      if (push->has_message()) return push->message();
    }
    return std::nullopt;
  }

  // A TLS client can still connect and gets answers.
  static void ExpectStillServing() {
    auto client = Connected("bystander", Format::kProtobuf);
    EXPECT_TRUE(client->Ping().ok());
  }

  static testing::NatsServer* nats_;
  static testing::TempDir* dir_;
  static TestCertificate* cert_;
  static GatewayProcess* gw_;
};

testing::NatsServer* GatewayTlsTest::nats_ = nullptr;
testing::TempDir* GatewayTlsTest::dir_ = nullptr;
TestCertificate* GatewayTlsTest::cert_ = nullptr;
GatewayProcess* GatewayTlsTest::gw_ = nullptr;

TEST_F(GatewayTlsTest, ClientsInBothFormatsPublishAndReceiveOverWss) {
  auto alice = Connected("alice", Format::kProtobuf);
  auto bob = Connected("bob", Format::kJson);
  ASSERT_TRUE(alice->Join("chat:tls").ok());
  ASSERT_TRUE(bob->Join("chat:tls").ok());

  auto ack = alice->Publish("chat:tls", TextPayload("hello over TLS"), "tls-1");
  ASSERT_TRUE(ack.ok()) << ack.status();
  auto at_bob = NextMessage(*bob);
  ASSERT_TRUE(at_bob.has_value());
  EXPECT_EQ(at_bob->payload().text(), "hello over TLS");
  EXPECT_EQ(at_bob->offset(), ack->offset());
  EXPECT_EQ(at_bob->sender().user_id(), "alice");
  ASSERT_TRUE(NextMessage(*alice).has_value());  // its own copy

  auto reply = bob->Publish("chat:tls", TextPayload("and back"), "tls-2");
  ASSERT_TRUE(reply.ok()) << reply.status();
  auto at_alice = NextMessage(*alice);
  ASSERT_TRUE(at_alice.has_value());
  EXPECT_EQ(at_alice->payload().text(), "and back");
  EXPECT_GT(at_alice->offset(), ack->offset());
}

TEST_F(GatewayTlsTest, TheGatewaysCloseFramesArriveBeforeTlsEnds) {
  // A refused token: the Close frame (4001), close_notify, then FIN.
  ClientOptions options = TlsOptions("mallory");
  options.token = "not-a-jwt";
  options.token_placement = ClientOptions::TokenPlacement::kConnectFrame;
  Client client(options);
  EXPECT_FALSE(client.Connect().ok());
  auto closed = client.WaitForClose(absl::Seconds(10));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code, 4001) << closed->reason;
}

TEST_F(GatewayTlsTest, AWssUrlWithAHostNameWorks) {
  // By name: SNI is sent and the certificate's DNS name is checked.
  ClientOptions options = TlsOptions("carol");
  ASSERT_TRUE(
      client::ApplyGatewayUrl(absl::StrCat("wss://localhost:", gw_->port(), "/ws"), &options).ok());
  EXPECT_TRUE(options.tls);
  Client client(options);
  auto welcome = client.Connect();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_TRUE(client.Ping().ok());
}

TEST_F(GatewayTlsTest, TheClientRefusesCertificatesItDoesNotTrust) {
  auto other = testing::WriteSelfSignedCertificate(dir_->path(), "other-ca");
  ASSERT_TRUE(other.ok()) << other.status();
  ClientOptions options = TlsOptions("dave");
  options.tls_ca_file = other->cert_file;
  Client client(options);
  auto welcome = client.Connect();
  ASSERT_FALSE(welcome.ok());
  EXPECT_TRUE(absl::IsUnavailable(welcome.status())) << welcome.status();
  EXPECT_TRUE(absl::StrContains(welcome.status().message(), "certificate")) << welcome.status();

  options.tls_ca_file = dir_->path() + "/missing.crt";
  Client no_file(options);
  EXPECT_TRUE(absl::IsInvalidArgument(no_file.Connect().status()));
}

TEST_F(GatewayTlsTest, PlainClientsAreCutOffAndCounted) {
  const double before = gw_->Metric(FailureMetric("protocol"));
  ASSERT_GE(before, 0);
  {
    // Plain HTTP on the TLS port: a 400 that says why, then the close.
    auto raw = RawWsClient::Dial(gw_->port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    auto status = (*raw)->Upgrade("/ws", {"Authorization: Bearer " + GatewayProcess::Token("eve")});
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(*status, 400);
    EXPECT_TRUE((*raw)->WaitForEof(absl::Seconds(5)));
  }
  {
    // The C++ client with ws:// on the wss:// port fails its upgrade.
    ClientOptions plain = gw_->ClientOptionsFor(GatewayProcess::Token("eve"));
    Client client(plain);
    EXPECT_FALSE(client.Connect().ok());
  }
  {
    // Not TLS, not HTTP.
    auto raw = RawWsClient::Dial(gw_->port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_TRUE((*raw)->SendBytes(std::string(64, '\x01')).ok());
    EXPECT_TRUE((*raw)->WaitForEof(absl::Seconds(5)));
  }
  EXPECT_TRUE(testing::WaitFor([&] { return gw_->Metric(FailureMetric("protocol")) >= before + 3; },
                               absl::Seconds(5)))
      << gw_->Metric(FailureMetric("protocol"));
  ExpectStillServing();
}

TEST_F(GatewayTlsTest, HandshakesThatNeverFinishAreCutAtTheHandshakeTimeout) {
  const double before = gw_->Metric(FailureMetric("timeout"));
  ASSERT_GE(before, 0);
  constexpr int kSilent = 10;
  std::vector<std::unique_ptr<RawWsClient>> stalled;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kSilent; ++i) {
    auto raw = RawWsClient::Dial(gw_->port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    stalled.push_back(std::move(*raw));
  }
  // And one that starts a ClientHello (a record header announcing 512 bytes)
  // and stops after a few of them.
  auto partial = RawWsClient::Dial(gw_->port());
  ASSERT_TRUE(partial.ok());
  ASSERT_TRUE((*partial)->SendBytes(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9)).ok());
  stalled.push_back(std::move(*partial));

  // A real client is served meanwhile.
  ExpectStillServing();
  // --handshake_timeout=1s: each is cut after about a second, none much later.
  for (auto& raw : stalled) EXPECT_TRUE(raw->WaitForEof(absl::Seconds(5)));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(900));
  EXPECT_LT(elapsed, absl::Seconds(5));
  EXPECT_TRUE(testing::WaitFor(
      [&] { return gw_->Metric(FailureMetric("timeout")) >= before + kSilent + 1; },
      absl::Seconds(5)))
      << gw_->Metric(FailureMetric("timeout"));
}

TEST_F(GatewayTlsTest, ALargeMessageRoundTripsInBothFormats) {
  // Many TLS records each way: the client's frame arrives in records that
  // the gateway reads ahead of the socket, and the delivery leaves in
  // several 16 KB records.
  auto alice = Connected("alice", Format::kProtobuf);
  auto bob = Connected("bob", Format::kJson);
  ASSERT_TRUE(alice->Join("chat:large").ok());
  ASSERT_TRUE(bob->Join("chat:large").ok());
  std::string big(kMaxMessageBytes - 16 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);

  auto ack = alice->Publish("chat:large", TextPayload(big), "big-1");
  ASSERT_TRUE(ack.ok()) << ack.status();
  for (Client* c : {bob.get(), alice.get()}) {
    auto m = NextMessage(*c);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->offset(), ack->offset());
    EXPECT_TRUE(m->payload().text() == big) << m->payload().text().size();
  }
  auto back = bob->Publish("chat:large", TextPayload(big.substr(1000)), "big-2");
  ASSERT_TRUE(back.ok()) << back.status();
  auto m = NextMessage(*alice);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->payload().text() == big.substr(1000));
}

// Starts a gateway with `tls_flags` and expects it to exit non-zero,
// with `message` in its log, without ever serving.
void ExpectStartupFailure(const std::string& nats_url, const std::vector<std::string>& tls_flags,
                          const std::string& message) {
  testing::TempDir dir("gateway_tls_bad");
  const std::string key = dir.path() + "/hs256.key";
  std::ofstream(key) << GatewayProcess::Secret() << "\n";
  auto port = testing::PickFreePort();
  auto admin = testing::PickFreePort();
  ASSERT_TRUE(port.ok() && admin.ok());
  std::vector<std::string> argv = {testing::Runfile("gateway/switchboard-gateway"),
                                   "--nats_url=" + nats_url,
                                   absl::StrCat("--listen=127.0.0.1:", *port),
                                   absl::StrCat("--admin_listen=127.0.0.1:", *admin),
                                   "--jwt_hs256_key_file=" + key,
                                   "--storage=memory"};
  argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
  auto proc = testing::Subprocess::Start(argv);
  ASSERT_TRUE(proc.ok()) << proc.status();
  auto code = (*proc)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << "still running:\n" << (*proc)->Log();
  EXPECT_NE(*code, 0);
  EXPECT_TRUE(absl::StrContains((*proc)->Log(), message)) << (*proc)->Log();
}

// Certificate rotation without a restart: SIGHUP loads the files again. New
// connections get the new certificate, open ones keep theirs, and a broken
// file changes nothing.
TEST_F(GatewayTlsTest, SighupReloadsTheCertificateForNewConnections) {
  testing::TempDir dir("tls_reload");
  auto first = testing::WriteSelfSignedCertificate(dir.path(), "first");
  auto second = testing::WriteSelfSignedCertificate(dir.path(), "second");
  ASSERT_TRUE(first.ok() && second.ok());
  // The served files are replaced by rename, as cert-manager and certbot do.
  const std::string cert_file = dir.path() + "/served.crt";
  const std::string key_file = dir.path() + "/served.key";
  const auto serve = [&](const std::string& cert, const std::string& key) {
    for (const auto& [from, to] : {std::pair{cert, cert_file}, std::pair{key, key_file}}) {
      std::ifstream in(from, std::ios::binary);
      std::ofstream(to + ".new", std::ios::binary) << in.rdbuf();
      ASSERT_EQ(std::rename((to + ".new").c_str(), to.c_str()), 0);
    }
  };
  serve(first->cert_file, first->key_file);
  auto gw = GatewayProcess::Start(
      nats_->url(), "gw-reload",
      {"--tls_cert_file=" + cert_file, "--tls_key_file=" + key_file, "--workers=2"});
  ASSERT_TRUE(gw.ok()) << gw.status();
  GatewayProcess& g = **gw;
  const auto options = [&g](const TestCertificate& trusted, const std::string& user) {
    ClientOptions o = g.ClientOptionsFor(GatewayProcess::Token(user));
    o.tls = true;
    o.tls_ca_file = trusted.cert_file;
    return o;
  };
  // Whether a new client that trusts only `trusted` gets in.
  const auto connects = [&](const TestCertificate& trusted) {
    Client client(options(trusted, "probe"));
    return client.Connect().ok();
  };
  constexpr char kOk[] = "switchboard_gateway_tls_reloads_total{result=\"ok\"}";
  constexpr char kError[] = "switchboard_gateway_tls_reloads_total{result=\"error\"}";
  constexpr char kExpiry[] = "switchboard_gateway_tls_certificate_expiry_timestamp_seconds";

  Client before(options(*first, "before"));
  ASSERT_TRUE(before.Connect().ok());
  EXPECT_FALSE(connects(*second));
  EXPECT_EQ(g.Metric(kOk), 0);
  const double first_expiry = g.Metric(kExpiry);
  EXPECT_GT(first_expiry, absl::ToUnixSeconds(absl::Now()));

  serve(second->cert_file, second->key_file);
  ASSERT_TRUE(g.process().Signal(SIGHUP).ok());
  ASSERT_TRUE(testing::WaitFor([&] { return g.Metric(kOk) == 1; }, absl::Seconds(10)))
      << g.process().Log();
  // Every worker switched before the reload was counted.
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(connects(*second)) << "connection " << i;
    EXPECT_FALSE(connects(*first)) << "connection " << i;
  }
  EXPECT_TRUE(before.Ping().ok()) << "the open connection was disturbed";
  EXPECT_GE(g.Metric(kExpiry), first_expiry);

  // A broken certificate file: logged and counted, the current one stays.
  std::ofstream(cert_file, std::ios::trunc) << "not a certificate\n";
  ASSERT_TRUE(g.process().Signal(SIGHUP).ok());
  ASSERT_TRUE(testing::WaitFor([&] { return g.Metric(kError) == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(connects(*second));
  EXPECT_TRUE(before.Ping().ok());
  EXPECT_TRUE(g.process().Running());
  EXPECT_TRUE(absl::StrContains(g.process().Log(), "TLS reload failed"));
}

TEST_F(GatewayTlsTest, BadCertificateFilesStopTheGatewayAtStartup) {
  ExpectStartupFailure(
      nats_->url(),
      {"--tls_cert_file=" + dir_->path() + "/no-such.crt", "--tls_key_file=" + cert_->key_file},
      "no-such.crt\": No such file or directory");
  auto other = testing::WriteSelfSignedCertificate(dir_->path(), "mismatch");
  ASSERT_TRUE(other.ok());
  ExpectStartupFailure(nats_->url(),
                       {"--tls_cert_file=" + cert_->cert_file, "--tls_key_file=" + other->key_file},
                       "does not match the certificate");
  ExpectStartupFailure(nats_->url(),
                       {"--tls_cert_file=" + cert_->key_file, "--tls_key_file=" + cert_->key_file},
                       "not a usable PEM certificate chain");
  ExpectStartupFailure(nats_->url(), {"--tls_cert_file=" + cert_->cert_file},
                       "--tls_cert_file and --tls_key_file go together");
  ExpectStartupFailure(nats_->url(),
                       {"--tls_cert_file=" + cert_->cert_file, "--tls_key_file=" + cert_->key_file,
                        "--tls_min_version=1.1"},
                       "--tls_min_version must be 1.2 or 1.3");
}

}  // namespace
}  // namespace switchboard
