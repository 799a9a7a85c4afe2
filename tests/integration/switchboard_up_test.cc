// Runs `./switchboard up` as a user would (with the binaries Bazel built for
// this test), checks that NATS, control and gateway answer, then presses
// "Ctrl-C" (SIGINT to the whole foreground process group) and checks that
// nothing is left running.
#include <errno.h>
#include <signal.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/ports.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

using testing::WaitFor;

int HttpStatus(int port, const char* path) {
  auto res = testing::HttpGet(port, path, absl::Seconds(2));
  return res.ok() ? res->status : -1;
}

bool GroupGone(pid_t pgid) { return kill(-pgid, 0) != 0 && errno == ESRCH; }

TEST(SwitchboardUpTest, StartsEverythingAndCtrlCLeavesNothingBehind) {
  testing::TempDir dev_dir;
  const int nats = *testing::PickFreePort();
  const int ws = *testing::PickFreePort();
  const int gw_admin = *testing::PickFreePort();
  const int grpc = *testing::PickFreePort();
  const int ctl_admin = *testing::PickFreePort();
  testing::SubprocessOptions options;
  options.env = {
      {"SB_BIN_DIR", testing::RunfilesRoot()},
      {"SB_DEV_DIR", dev_dir.path()},
      {"SB_NATS_PORT", absl::StrCat(nats)},
      {"SB_WS_PORT", absl::StrCat(ws)},
      {"SB_GATEWAY_ADMIN_PORT", absl::StrCat(gw_admin)},
      {"SB_GRPC_PORT", absl::StrCat(grpc)},
      {"SB_CONTROL_ADMIN_PORT", absl::StrCat(ctl_admin)},
  };
  auto up = testing::Subprocess::Start({"/bin/bash", testing::Runfile("switchboard"), "up"},
                                       options);
  ASSERT_TRUE(up.ok()) << up.status();
  testing::Subprocess& proc = **up;

  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(proc.Log(), "Press Ctrl-C"); },
                      absl::Seconds(60)))
      << proc.Log();
  EXPECT_EQ(HttpStatus(nats + 4000, "/healthz"), 200);
  EXPECT_EQ(HttpStatus(gw_admin, "/readyz"), 200);
  EXPECT_EQ(HttpStatus(ctl_admin, "/readyz"), 200);
  EXPECT_TRUE(absl::StrContains(proc.Log(), absl::StrCat("127.0.0.1:", grpc)));

  // Ctrl-C in a terminal signals the whole foreground process group.
  ASSERT_EQ(kill(-proc.pid(), SIGINT), 0);
  auto code = proc.Wait(absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << code.status() << proc.Log();
  EXPECT_EQ(*code, 0) << proc.Log();
  EXPECT_TRUE(WaitFor([&] { return GroupGone(proc.pid()); }, absl::Seconds(10)))
      << "processes of `switchboard up` outlived it";
  EXPECT_EQ(HttpStatus(gw_admin, "/healthz"), -1);
  EXPECT_EQ(HttpStatus(ctl_admin, "/healthz"), -1);
  EXPECT_EQ(HttpStatus(nats + 4000, "/healthz"), -1);
}

}  // namespace
}  // namespace switchboard
