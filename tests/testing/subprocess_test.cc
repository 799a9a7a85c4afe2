#include "tests/testing/subprocess.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace testing {
namespace {

std::unique_ptr<Subprocess> StartShell(const std::string& script, SubprocessOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({"sh", "-c", script}, std::move(options));
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? *std::move(process) : nullptr;
}

// True once `pid` has exited: gone, or a zombie waiting for whoever
// inherited it.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

// The value printed by the child as "<key>=<number>\n", once it is in the log.
pid_t WaitForPidInLog(Subprocess& process, absl::string_view key) {
  pid_t pid = 0;
  const std::string marker = absl::StrCat(key, "=");
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::string log = process.Log();
        const size_t at = log.find(marker);
        if (at == std::string::npos) return false;
        const size_t end = log.find('\n', at);
        if (end == std::string::npos) return false;
        const size_t start = at + marker.size();
        return absl::SimpleAtoi(log.substr(start, end - start), &pid);
      },
      absl::Seconds(10)))
      << process.Log();
  return pid;
}

TEST(SubprocessTest, ReportsExitCode) {
  auto process = StartShell("exit 3");
  ASSERT_NE(process, nullptr);
  absl::StatusOr<int> code = process->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE(process->Running());
  // Later calls return the same code.
  EXPECT_EQ(*process->Wait(absl::ZeroDuration()), 3);
  EXPECT_EQ(process->Signal(SIGTERM).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SubprocessTest, SignalDeathIs128PlusSignal) {
  auto process = StartShell("exec sleep 30");
  ASSERT_NE(process, nullptr);
  EXPECT_TRUE(process->Running());
  ASSERT_TRUE(process->Signal(SIGINT).ok());
  absl::StatusOr<int> code = process->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGINT);
}

TEST(SubprocessTest, WaitTimesOutOnARunningChild) {
  auto process = StartShell("exec sleep 30");
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->Wait(absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(process->Running());
}

TEST(SubprocessTest, StopEndsAChildThatHonorsSigterm) {
  auto process = StartShell("exec sleep 30");
  ASSERT_NE(process, nullptr);
  const absl::Time start = absl::Now();
  absl::StatusOr<int> code = process->Stop(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGTERM);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(SubprocessTest, StopEscalatesToSigkillForTheWholeGroup) {
  auto process = StartShell("trap '' TERM; sleep 300 & echo sleeper=$!; while :; do sleep 1; done");
  ASSERT_NE(process, nullptr);
  // Only once the trap is installed does the child ignore SIGTERM.
  const pid_t sleeper = WaitForPidInLog(*process, "sleeper");
  ASSERT_GT(sleeper, 0);
  EXPECT_EQ(getpgid(sleeper), process->pid());

  const absl::Duration grace = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  absl::StatusOr<int> code = process->Stop(grace);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGKILL);
  EXPECT_GE(absl::Now() - start, grace);
  EXPECT_FALSE(process->Running());
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(sleeper); }, absl::Seconds(5)));
}

TEST(SubprocessTest, CapturesStdoutAndStderr) {
  auto process = StartShell("echo to-stdout; echo to-stderr >&2");
  ASSERT_NE(process, nullptr);
  ASSERT_TRUE(process->Wait(absl::Seconds(10)).ok());
  const std::string log = process->Log();
  EXPECT_TRUE(absl::StrContains(log, "to-stdout\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "to-stderr\n")) << log;
}

TEST(SubprocessTest, AppliesEnvWorkingDirAndLogPath) {
  TempDir dir;
  SubprocessOptions options;
  options.env = {{"SB_FIXTURE_VAR", "hello"}, {"PATH", "/bin:/usr/bin"}};
  options.working_dir = dir.path();
  options.log_path = dir.path() + "/child.log";
  std::ofstream(options.log_path) << "earlier\n";  // Appended to, not truncated.

  auto process = StartShell("echo var=$SB_FIXTURE_VAR; pwd; read line; echo stdin=$line.", options);
  ASSERT_NE(process, nullptr);
  ASSERT_TRUE(process->Wait(absl::Seconds(10)).ok());
  EXPECT_EQ(process->log_path(), options.log_path);
  EXPECT_EQ(process->Log(), absl::StrCat("earlier\nvar=hello\n", dir.path(), "\nstdin=.\n"));
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  EXPECT_EQ(Subprocess::Start({"/nonexistent/program"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Subprocess::Start({"sb-no-such-program"}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Subprocess::Start({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SubprocessTest, BadWorkingDirFailsStart) {
  SubprocessOptions options;
  options.working_dir = "/nonexistent/dir";
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({"sh", "-c", "exit 0"}, options);
  EXPECT_EQ(process.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(process.status().message(), "chdir")) << process.status();
}

TEST(SubprocessTest, DestructorKillsTheWholeGroup) {
  auto process = StartShell("sleep 300 & echo sleeper=$!; wait");
  ASSERT_NE(process, nullptr);
  const pid_t shell = process->pid();
  const pid_t sleeper = WaitForPidInLog(*process, "sleeper");
  ASSERT_GT(sleeper, 0);
  process.reset();
  // The shell is reaped by the destructor; the sleeper dies with the group.
  EXPECT_NE(kill(shell, 0), 0);
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(sleeper); }, absl::Seconds(5)));
}

TEST(SubprocessTest, ChildDiesWithTheThreadThatStartedIt) {
  std::unique_ptr<Subprocess> process;
  std::thread starter([&] { process = StartShell("exec sleep 300"); });
  starter.join();
  ASSERT_NE(process, nullptr);
  absl::StatusOr<int> code = process->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGKILL);
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
