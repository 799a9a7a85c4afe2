#ifndef SWITCHBOARD_TESTS_TESTING_SUBPROCESS_H_
#define SWITCHBOARD_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/testing/temp_dir.h"

namespace switchboard {
namespace testing {

struct SubprocessOptions {
  // Added to (or replacing entries of) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  // stdout and stderr are appended here. Empty: "output.log" in a temp dir
  // owned by the Subprocess (removed with it).
  std::string log_path;
  // Empty: the caller's working directory.
  std::string working_dir;
};

// A child process for tests (servers under test, nats-server, shell
// helpers). The child runs in its own process group with stdin from
// /dev/null and gets SIGKILL when the thread that started it dies
// (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind. Linux ties
// that signal to the *thread*, not the process: call Start from a thread that
// outlives the child, such as the test's main thread.
//
// Thread-safe: any thread may call any method; Wait and Stop block their
// caller only.
class Subprocess {
 public:
  // Forks and execs argv[0] (searched in $PATH when it has no slash) with the
  // given arguments. Returns NotFound when the program does not exist and
  // Internal when the child could not be set up or exec failed; no child is
  // left running in either case.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(std::vector<std::string> argv,
                                                           SubprocessOptions options = {});

  // SIGKILLs the whole process group if the child is still running and reaps
  // it. Leftover members of the group (grandchildren) are killed too.
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Also the process group id.
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // False once the child has exited (and has been reaped by this call).
  bool Running();

  // Sends `sig` to the child only (not its group). FailedPrecondition once
  // the child has been reaped: its pid may belong to someone else by then.
  absl::Status Signal(int sig);

  // Waits for the child to exit: its exit code, or 128 + signal number when a
  // signal killed it (as a shell reports it). DeadlineExceeded if it is still
  // running after `timeout`. Returns the same code again on later calls.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // SIGTERM, then up to `grace` for the child to exit, then SIGKILL to the
  // whole group. Returns the exit code as Wait does (137 when SIGKILL was
  // needed). Stragglers left in the group are killed either way.
  absl::StatusOr<int> Stop(absl::Duration grace = absl::Seconds(10));

  // Everything the child wrote to the log file so far.
  std::string Log() const;

 private:
  Subprocess(pid_t pid, std::string log_path, std::unique_ptr<TempDir> log_dir)
      : pid_(pid), log_path_(std::move(log_path)), log_dir_(std::move(log_dir)) {}

  // Reaps the child if it has exited; true when it has (now or before).
  bool PollExit() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void KillGroup();

  const pid_t pid_;
  const std::string log_path_;
  const std::unique_ptr<TempDir> log_dir_;  // Set when the log path is ours.
  mutable absl::Mutex mutex_;
  std::optional<int> exit_code_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_SUBPROCESS_H_
