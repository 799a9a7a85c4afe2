// LoadGenerator end to end, in short runs against real servers started here:
// presence_churn against a gateway (with nats-server), and the raw protocol
// against the plain-Beast baseline server. Bounded: about 3 s of load each.
#include "bench/load_generator.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard::bench {
namespace {

using testing::HttpGet;
using testing::NatsServer;
using testing::PickFreePort;
using testing::Runfile;
using testing::Subprocess;
using testing::SubprocessOptions;
using testing::TempDir;
using testing::WaitFor;

constexpr char kSecret[] = "load-generator-test-secret-0123456789abcdef";

LoadOptions ShortRun(Scenario scenario, int port) {
  LoadOptions o;
  o.scenario = scenario;
  o.port = port;
  o.hs256_secret = kSecret;
  o.warmup = absl::Milliseconds(300);
  o.duration = absl::Seconds(1);
  o.drain = absl::Seconds(5);
  o.connect_timeout = absl::Seconds(20);
  return o;
}

// A gateway on free ports against `nats_url`, ready (/readyz 200) or failed.
absl::StatusOr<std::unique_ptr<Subprocess>> StartGateway(const TempDir& dir,
                                                         const std::string& nats_url, int port) {
  absl::StatusOr<int> admin = PickFreePort();
  if (!admin.ok()) return admin.status();
  const std::string key = dir.path() + "/hs256.key";
  std::ofstream(key) << kSecret << "\n";
  SubprocessOptions options;
  options.log_path = dir.path() + "/gateway.log";
  auto proc = Subprocess::Start(
      {Runfile("gateway/switchboard-gateway"), "--nats_url=" + nats_url, "--gateway_id=lg-test",
       absl::StrCat("--listen=127.0.0.1:", port),
       absl::StrCat("--admin_listen=127.0.0.1:", *admin), "--jwt_hs256_key_file=" + key,
       "--storage=memory", "--log_level=warn"},
      options);
  if (!proc.ok()) return proc.status();
  const int admin_port = *admin;
  if (!WaitFor(
          [admin_port] {
            auto res = HttpGet(admin_port, "/readyz", absl::Seconds(1));
            return res.ok() && res->status == 200;
          },
          absl::Seconds(30))) {
    return absl::DeadlineExceededError(absl::StrCat("gateway not ready:\n", (*proc)->Log()));
  }
  return proc;
}

TEST(LoadGeneratorTest, RawProtocolIsForBigRoomOnly) {
  LoadOptions o = ShortRun(Scenario::kManyRooms, 1);
  o.format = WireFormat::kRaw;
  LoadGenerator generator(o);
  absl::StatusOr<BenchReport> report = generator.Run();
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument) << report.status();
}

TEST(LoadGeneratorTest, PresenceChurnJoinsAndLeavesAtTheRequestedRate) {
  auto nats = NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  TempDir dir("lg_churn");
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok());
  auto gateway = StartGateway(dir, (*nats)->url(), *port);
  ASSERT_TRUE(gateway.ok()) << gateway.status();

  LoadOptions o = ShortRun(Scenario::kPresenceChurn, *port);
  o.connections = 20;
  o.room_size = 10;
  o.rate = 20;  // Joins per second, with as many leaves.
  LoadGenerator generator(o);
  absl::StatusOr<BenchReport> report = generator.Run();
  ASSERT_TRUE(report.ok()) << report.status() << "\n" << (*gateway)->Log();
  SCOPED_TRACE(report->ToTable());

  EXPECT_EQ(report->scenario, "presence_churn");
  EXPECT_EQ(report->connections_held, 20);
  EXPECT_EQ(report->rooms, 2);
  ASSERT_TRUE(report->has_churn);
  const ChurnSummary& c = report->churn;
  // 1 s at 20 joins/s: 20 joins and 20 leaves, give or take the edges.
  EXPECT_GE(c.joins, 18u);
  EXPECT_LE(c.joins, 21u);
  EXPECT_GE(c.leaves, 18u);
  EXPECT_EQ(c.joined, c.joins);
  EXPECT_EQ(c.left, c.leaves);
  EXPECT_EQ(c.join_errors + c.leave_errors + c.skipped + c.unanswered, 0u);
  EXPECT_EQ(c.join_latency.count, c.joined);
  EXPECT_EQ(c.leave_latency.count, c.left);
  EXPECT_GT(c.join_latency.p50, 0);
  EXPECT_NEAR(c.joins_per_second, 20, 3);
  EXPECT_TRUE(report->errors.empty());
  EXPECT_EQ(report->totals.published, 0u);
}

TEST(LoadGeneratorTest, RawBigRoomAgainstTheBaselineServerDeliversEverything) {
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok());
  auto server = Subprocess::Start({Runfile("bench/baseline/baseline-server"),
                                   absl::StrCat("--port=", *port)});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(WaitFor([&] { return (*server)->Log().find("listening") != std::string::npos; },
                      absl::Seconds(20)))
      << (*server)->Log();

  LoadOptions o = ShortRun(Scenario::kBigRoom, *port);
  o.format = WireFormat::kRaw;
  o.connections = 30;
  o.rate = 50;
  LoadGenerator generator(o);
  absl::StatusOr<BenchReport> report = generator.Run();
  ASSERT_TRUE(report.ok()) << report.status() << "\n" << (*server)->Log();
  SCOPED_TRACE(report->ToTable());

  EXPECT_EQ(report->format, "raw");
  EXPECT_EQ(report->connections_held, 30);
  EXPECT_GE(report->totals.published, 45u);
  EXPECT_EQ(report->totals.expected, report->totals.published * 30);
  EXPECT_EQ(report->totals.received, report->totals.expected);
  EXPECT_EQ(report->totals.lost, 0u);
  EXPECT_EQ(report->totals.duplicated, 0u);
  EXPECT_DOUBLE_EQ(report->delivery_ratio, 1.0);
  EXPECT_EQ(report->end_to_end.count, report->totals.received);
  EXPECT_TRUE(report->errors.empty());
}

}  // namespace
}  // namespace switchboard::bench
