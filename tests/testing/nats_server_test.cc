#include "tests/testing/nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nats/nats.h"
#include "tests/testing/http_get.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace testing {
namespace {

// Connects to 127.0.0.1:port and returns the first line the server sends.
std::string ReadFirstLine(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval five_seconds{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof(five_seconds));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string line;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    char buffer[4096];
    while (!absl::StrContains(line, "\r\n")) {
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      line.append(buffer, n);
    }
  }
  close(fd);
  return line;
}

// Creates a file-backed stream "FIXTURE" over `fixture.>` via NATS.c.
absl::Status CreateStream(const std::string& url) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsStreamInfo* si = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
  if (s == NATS_OK) {
    const char* subjects[] = {"fixture.>"};
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "FIXTURE";
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    s = js_AddStream(&si, js, &config, nullptr, nullptr);
  }
  jsStreamInfo_Destroy(si);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  if (s != NATS_OK) return absl::UnavailableError(natsStatus_GetText(s));
  return absl::OkStatus();
}

// True if the server at `url` knows stream "FIXTURE".
bool StreamExists(const std::string& url) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsStreamInfo* si = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
  if (s == NATS_OK) s = js_GetStreamInfo(&si, js, "FIXTURE", nullptr, nullptr);
  jsStreamInfo_Destroy(si);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return s == NATS_OK;
}

TEST(NatsServerTest, StartsReadyAndGreetsClients) {
  absl::StatusOr<std::unique_ptr<NatsServer>> server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  NatsServer& nats = **server;
  EXPECT_TRUE(nats.Running());
  EXPECT_EQ(nats.url(), absl::StrCat("nats://127.0.0.1:", nats.port()));
  EXPECT_NE(nats.port(), nats.monitor_port());
  EXPECT_TRUE(absl::StartsWith(ReadFirstLine(nats.port()), "INFO {"));

  absl::StatusOr<HttpResponse> health = HttpGet(nats.monitor_port(), "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  absl::StatusOr<HttpResponse> jsz = HttpGet(nats.monitor_port(), "/jsz");
  ASSERT_TRUE(jsz.ok()) << jsz.status();
  EXPECT_TRUE(absl::StrContains(jsz->body, nats.store_dir())) << jsz->body;
}

TEST(NatsServerTest, KillAndRestartKeepPortsAndStore) {
  absl::StatusOr<std::unique_ptr<NatsServer>> server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  NatsServer& nats = **server;
  ASSERT_TRUE(CreateStream(nats.url()).ok());
  const int port = nats.port();
  const int monitor_port = nats.monitor_port();
  const std::string store_dir = nats.store_dir();

  ASSERT_TRUE(nats.Kill().ok());
  EXPECT_FALSE(nats.Running());
  EXPECT_EQ(ReadFirstLine(port), "");
  EXPECT_FALSE(HttpGet(monitor_port, "/healthz", absl::Seconds(1)).ok());

  absl::Status restarted = nats.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_TRUE(nats.Running());
  EXPECT_EQ(nats.port(), port);
  EXPECT_EQ(nats.monitor_port(), monitor_port);
  EXPECT_EQ(nats.store_dir(), store_dir);
  EXPECT_TRUE(absl::StartsWith(ReadFirstLine(port), "INFO {"));
  EXPECT_TRUE(StreamExists(nats.url()));
  EXPECT_TRUE(absl::StrContains(nats.Log(), "Server is ready"));
}

TEST(NatsServerTest, StopIsGracefulAndIdempotent) {
  absl::StatusOr<std::unique_ptr<NatsServer>> server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->Stop().ok());
  EXPECT_FALSE((*server)->Running());
  EXPECT_TRUE((*server)->Stop().ok());
  EXPECT_TRUE((*server)->Kill().ok());
}

TEST(NatsServerTest, UsesGivenStoreDirAndWorksWithoutJetStream) {
  const std::string store_dir = absl::StrCat(getenv("TEST_TMPDIR"), "/given-store");
  NatsServerOptions options;
  options.store_dir = store_dir;
  options.server_name = "given";
  absl::StatusOr<std::unique_ptr<NatsServer>> server = NatsServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->store_dir(), store_dir);
  EXPECT_TRUE(std::filesystem::is_directory(store_dir + "/jetstream"));

  NatsServerOptions core_only;
  core_only.jetstream = false;
  absl::StatusOr<std::unique_ptr<NatsServer>> core = NatsServer::Start(core_only);
  ASSERT_TRUE(core.ok()) << core.status();
  EXPECT_TRUE(absl::StartsWith(ReadFirstLine((*core)->port()), "INFO {"));
  EXPECT_FALSE(CreateStream((*core)->url()).ok());
}

TEST(NatsServerTest, StartupFailureCarriesTheLogTail) {
  absl::StatusOr<std::unique_ptr<NatsServer>> first = NatsServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  NatsServerOptions options;
  options.port = (*first)->port();  // Taken.
  absl::StatusOr<std::unique_ptr<NatsServer>> second = NatsServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::StrContains(second.status().message(), "log tail")) << second.status();
  EXPECT_TRUE(absl::StrContains(second.status().message(), "address already in use"))
      << second.status();
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
