// Runs `./switchboard up` as a user would (with the binaries Bazel built for
// this test): the stack answers, Ctrl-C (SIGINT to the whole foreground
// process group) stops it in order and leaves nothing running, a second `up`
// is refused naming the busy port, bad ports are refused before anything
// starts, pages on any localhost origin may connect by default, and the
// JetStream store survives a restart until `./switchboard reset`.
#include <errno.h>
#include <signal.h>

#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/http_get.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

using testing::WaitFor;

constexpr char kReady[] = "Press Ctrl-C";

int HttpStatus(int port, const char* path) {
  auto res = testing::HttpGet(port, path, absl::Seconds(2));
  return res.ok() ? res->status : -1;
}

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

// The ports and directories of one `up`, and the environment that names them.
struct UpConfig {
  UpConfig() {
    nats = *testing::PickFreePort();
    nats_monitor = *testing::PickFreePort();
    ws = *testing::PickFreePort();
    gw_admin = *testing::PickFreePort();
    grpc = *testing::PickFreePort();
    ctl_admin = *testing::PickFreePort();
  }
  std::vector<std::pair<std::string, std::string>> Env() const {
    std::vector<std::pair<std::string, std::string>> env = {
        {"SB_BIN_DIR", testing::RunfilesRoot()},
        {"SB_DEV_DIR", dev_dir.path()},
        {"SB_NATS_PORT", absl::StrCat(nats)},
        {"SB_NATS_MONITOR_PORT", absl::StrCat(nats_monitor)},
        {"SB_WS_PORT", absl::StrCat(ws)},
        {"SB_GATEWAY_ADMIN_PORT", absl::StrCat(gw_admin)},
        {"SB_GRPC_PORT", absl::StrCat(grpc)},
        {"SB_CONTROL_ADMIN_PORT", absl::StrCat(ctl_admin)},
    };
    for (const auto& e : extra) env.push_back(e);
    return env;
  }
  testing::TempDir dev_dir;
  int nats, nats_monitor, ws, gw_admin, grpc, ctl_admin;
  std::vector<std::pair<std::string, std::string>> extra;
};

std::unique_ptr<testing::Subprocess> StartSwitchboard(const UpConfig& config,
                                                      const std::string& command) {
  testing::SubprocessOptions options;
  options.env = config.Env();
  auto proc = testing::Subprocess::Start(
      {"/bin/bash", testing::Runfile("switchboard"), command}, options);
  EXPECT_TRUE(proc.ok()) << proc.status();
  return proc.ok() ? std::move(*proc) : nullptr;
}

// The pids `up` printed when it stopped its processes, in the order it
// stopped them: {"gateway", pid}, ...
std::vector<std::pair<std::string, pid_t>> StoppedProcesses(const std::string& log) {
  std::vector<std::pair<std::string, pid_t>> out;
  static const std::regex line(R"(\n  (\S+) \(pid (\d+)\) (stopped|had already|did not stop))");
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
    int pid = 0;
    if (absl::SimpleAtoi((*it)[2].str(), &pid)) out.emplace_back((*it)[1].str(), pid);
  }
  return out;
}

// Presses Ctrl-C and checks that `up` stopped everything it started.
void CtrlCAndExpectAllStopped(testing::Subprocess& proc, const UpConfig& config) {
  ASSERT_EQ(kill(-proc.pid(), SIGINT), 0);
  auto code = proc.Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status() << proc.Log();
  EXPECT_EQ(*code, 0) << proc.Log();
  const std::string log = proc.Log();
  EXPECT_FALSE(absl::StrContains(log, "exited unexpectedly")) << log;
  auto stopped = StoppedProcesses(log);
  ASSERT_EQ(stopped.size(), 3u) << log;
  // Gateway first (it drains while NATS is still there), then control, then NATS.
  EXPECT_EQ(stopped[0].first, "gateway");
  EXPECT_EQ(stopped[1].first, "control");
  EXPECT_EQ(stopped[2].first, "nats");
  for (const auto& [name, pid] : stopped) {
    EXPECT_TRUE(absl::StrContains(log, absl::StrCat(name, " (pid ", pid, ") stopped"))) << log;
    EXPECT_TRUE(WaitFor([pid = pid] { return ProcessGone(pid); }, absl::Seconds(10)))
        << name << " (pid " << pid << ") outlived `switchboard up`";
  }
  EXPECT_EQ(HttpStatus(config.gw_admin, "/healthz"), -1);
  EXPECT_EQ(HttpStatus(config.ctl_admin, "/healthz"), -1);
  EXPECT_EQ(HttpStatus(config.nats_monitor, "/healthz"), -1);
}

void WaitUntilUp(testing::Subprocess& proc) {
  ASSERT_TRUE(WaitFor(
      [&] { return absl::StrContains(proc.Log(), kReady) || proc.Wait(absl::ZeroDuration()).ok(); },
      absl::Seconds(90)))
      << proc.Log();
  ASSERT_TRUE(absl::StrContains(proc.Log(), kReady)) << proc.Log();
}

// The creation time of the rooms stream, read from NATS's monitoring port.
std::string StreamCreated(int monitor_port) {
  auto res = testing::HttpGet(monitor_port, "/jsz?streams=true", absl::Seconds(2));
  if (!res.ok() || res->status != 200) return "";
  auto json = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return "";
  for (const auto& account : json.value("account_details", nlohmann::json::array())) {
    for (const auto& stream : account.value("stream_detail", nlohmann::json::array())) {
      if (stream.value("name", "") == "SB_ROOMS") return stream.value("created", "");
    }
  }
  return "";
}

int ProbeStatus(int ws_port, const std::string& origin) {
  auto res = testing::HttpGet(ws_port, "/ws?probe=1", absl::Seconds(2), {{"Origin", origin}});
  return res.ok() ? res->status : -1;
}

TEST(SwitchboardUpTest, StartsEverythingAndCtrlCStopsItInOrder) {
  UpConfig config;
  auto up = StartSwitchboard(config, "up");
  ASSERT_NE(up, nullptr);
  WaitUntilUp(*up);
  EXPECT_EQ(HttpStatus(config.nats_monitor, "/healthz"), 200);
  EXPECT_EQ(HttpStatus(config.gw_admin, "/readyz"), 200);
  EXPECT_EQ(HttpStatus(config.ctl_admin, "/readyz"), 200);
  EXPECT_TRUE(absl::StrContains(up->Log(), absl::StrCat("127.0.0.1:", config.grpc)));
  CtrlCAndExpectAllStopped(*up, config);
}

TEST(SwitchboardUpTest, ASecondUpIsRefusedNamingTheBusyPort) {
  UpConfig config;
  auto first = StartSwitchboard(config, "up");
  ASSERT_NE(first, nullptr);
  WaitUntilUp(*first);

  auto second = StartSwitchboard(config, "up");
  ASSERT_NE(second, nullptr);
  auto code = second->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status() << second->Log();
  EXPECT_NE(*code, 0) << second->Log();
  const std::string log = second->Log();
  EXPECT_FALSE(absl::StrContains(log, "Switchboard is up")) << log;
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("port ", config.ws, " (SB_WS_PORT) is already in use")))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "(SB_GRPC_PORT) is already in use")) << log;
  // The first stack is untouched.
  EXPECT_EQ(HttpStatus(config.gw_admin, "/readyz"), 200);
  EXPECT_EQ(HttpStatus(config.ctl_admin, "/readyz"), 200);
  CtrlCAndExpectAllStopped(*first, config);
}

TEST(SwitchboardUpTest, BadPortsAreRefusedBeforeAnythingStarts) {
  UpConfig config;
  // What a test picking ports near the top of the range used to get: a
  // monitor port past 65535.
  config.extra = {{"SB_NATS_MONITOR_PORT", "68776"},
                  {"SB_CONTROL_ADMIN_PORT", absl::StrCat(config.gw_admin)}};
  auto up = StartSwitchboard(config, "up");
  ASSERT_NE(up, nullptr);
  auto code = up->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status() << up->Log();
  EXPECT_NE(*code, 0);
  const std::string log = up->Log();
  EXPECT_TRUE(absl::StrContains(log, "SB_NATS_MONITOR_PORT=68776 is not a port")) << log;
  EXPECT_TRUE(absl::StrContains(
      log, absl::StrCat("SB_CONTROL_ADMIN_PORT=", config.gw_admin, " is also SB_GATEWAY_ADMIN_PORT")))
      << log;
  EXPECT_FALSE(absl::StrContains(log, "Switchboard is up")) << log;
  EXPECT_EQ(HttpStatus(config.gw_admin, "/healthz"), -1);
  EXPECT_EQ(StoppedProcesses(log).size(), 0u) << log;
}

TEST(SwitchboardUpTest, PagesOnAnyLocalhostOriginMayConnectByDefault) {
  UpConfig config;
  auto up = StartSwitchboard(config, "up");
  ASSERT_NE(up, nullptr);
  WaitUntilUp(*up);
  EXPECT_EQ(ProbeStatus(config.ws, "http://127.0.0.1:5173"), 200);  // a Vite dev server
  EXPECT_EQ(ProbeStatus(config.ws, "http://localhost:3000"), 200);
  EXPECT_EQ(ProbeStatus(config.ws, absl::StrCat("http://127.0.0.1:", config.ws)), 200);
  EXPECT_EQ(ProbeStatus(config.ws, "https://evil.example"), 403);
  EXPECT_EQ(ProbeStatus(config.ws, "http://localhost.evil.example:80"), 403);
  CtrlCAndExpectAllStopped(*up, config);

  // SB_ALLOWED_ORIGINS replaces the dev default.
  config.extra = {{"SB_ALLOWED_ORIGINS", "https://app.example"}};
  auto restricted = StartSwitchboard(config, "up");
  ASSERT_NE(restricted, nullptr);
  WaitUntilUp(*restricted);
  EXPECT_EQ(ProbeStatus(config.ws, "http://127.0.0.1:5173"), 403);
  EXPECT_EQ(ProbeStatus(config.ws, "https://app.example"), 200);
  CtrlCAndExpectAllStopped(*restricted, config);
}

TEST(SwitchboardUpTest, TheJetStreamStoreSurvivesARestartUntilReset) {
  UpConfig config;
  std::string created;
  {
    auto up = StartSwitchboard(config, "up");
    ASSERT_NE(up, nullptr);
    WaitUntilUp(*up);
    ASSERT_TRUE(WaitFor([&] { return !(created = StreamCreated(config.nats_monitor)).empty(); },
                        absl::Seconds(20)));
    CtrlCAndExpectAllStopped(*up, config);
  }
  {
    auto up = StartSwitchboard(config, "up");
    ASSERT_NE(up, nullptr);
    WaitUntilUp(*up);
    std::string again;
    ASSERT_TRUE(WaitFor([&] { return !(again = StreamCreated(config.nats_monitor)).empty(); },
                        absl::Seconds(20)));
    EXPECT_EQ(again, created) << "the restart created a new stream: its offsets start at 1 again";
    CtrlCAndExpectAllStopped(*up, config);
  }
  auto reset = StartSwitchboard(config, "reset");
  ASSERT_NE(reset, nullptr);
  auto code = reset->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << reset->Log();
  EXPECT_TRUE(absl::StrContains(reset->Log(), "deleted the local JetStream store")) << reset->Log();
  {
    auto up = StartSwitchboard(config, "up");
    ASSERT_NE(up, nullptr);
    WaitUntilUp(*up);
    std::string fresh;
    ASSERT_TRUE(WaitFor([&] { return !(fresh = StreamCreated(config.nats_monitor)).empty(); },
                        absl::Seconds(20)));
    EXPECT_NE(fresh, created);
    CtrlCAndExpectAllStopped(*up, config);
  }
}

}  // namespace
}  // namespace switchboard
