#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/testing/wait.h"

extern char** environ;

namespace switchboard {
namespace testing {
namespace {

// What the child reports through the exec-error pipe when setup fails.
enum class ChildStage : int { kDeathSignal = 1, kStdio, kChdir, kExec };

struct ChildReport {
  ChildStage stage;
  int error;
};

const char* StageName(ChildStage stage) {
  switch (stage) {
    case ChildStage::kDeathSignal:
      return "prctl(PR_SET_PDEATHSIG)";
    case ChildStage::kStdio:
      return "redirecting stdio";
    case ChildStage::kChdir:
      return "chdir";
    case ChildStage::kExec:
      return "execve";
  }
  return "setup";
}

// The fd the child keeps for reporting setup failures; closed by execve.
constexpr int kReportFd = 3;

// Everything the child needs, prepared before fork: between fork and exec
// only async-signal-safe calls are allowed (the test may have other threads
// holding malloc or stdio locks).
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* working_dir;  // nullptr: stay.
  int stdin_fd;
  int log_fd;
  int report_fd;
  pid_t parent_pid;
};

[[noreturn]] void ChildFail(int report_fd, ChildStage stage) {
  ChildReport report{stage, errno};
  ssize_t ignored = write(report_fd, &report, sizeof(report));
  (void)ignored;
  _exit(127);
}

[[noreturn]] void RunChild(const ChildPlan& plan) {
  setpgid(0, 0);
  // Exit with the test: a crashed or killed test must not leave servers
  // holding ports. If the parent is already gone, the signal would never come.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(plan.report_fd, ChildStage::kDeathSignal);
  if (getppid() != plan.parent_pid) _exit(127);

  // Dispositions set to SIG_IGN and the blocked mask survive exec; the child
  // must react to SIGTERM like a freshly started program would.
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }

  if (dup2(plan.stdin_fd, STDIN_FILENO) < 0 || dup2(plan.log_fd, STDOUT_FILENO) < 0 ||
      dup2(plan.log_fd, STDERR_FILENO) < 0) {
    ChildFail(plan.report_fd, ChildStage::kStdio);
  }
  // When the test itself ran with fd 0/1/2 closed, /dev/null or the log got
  // that very number: dup2 onto itself keeps O_CLOEXEC, and the child would
  // start with the descriptor closed (and read whatever opens it next).
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) fcntl(fd, F_SETFD, 0);
  // After stdio: the log or /dev/null descriptor may have been fd 3.
  if (plan.report_fd != kReportFd && dup2(plan.report_fd, kReportFd) < 0) _exit(127);
  fcntl(kReportFd, F_SETFD, FD_CLOEXEC);
  // Sockets and files the test opened without O_CLOEXEC stay with the test.
  if (close_range(kReportFd + 1, ~0U, 0) != 0) {
    for (int fd = kReportFd + 1; fd < 4096; ++fd) close(fd);
  }
  if (plan.working_dir != nullptr && chdir(plan.working_dir) != 0) {
    ChildFail(kReportFd, ChildStage::kChdir);
  }
  execve(plan.program, plan.argv, plan.envp);
  ChildFail(kReportFd, ChildStage::kExec);
}

absl::StatusOr<std::string> ResolveProgram(const std::string& name) {
  if (absl::StrContains(name, '/')) {
    if (access(name.c_str(), X_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("Subprocess: ", name, ": ", strerror(errno)));
    }
    return name;
  }
  const char* path = getenv("PATH");
  if (path == nullptr || *path == '\0') path = "/bin:/usr/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("Subprocess: ", name, " not found in PATH=", path));
}

std::vector<std::string> MergeEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view kv(*entry);
    absl::string_view key = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (const auto& [name, value] : extra) overridden = overridden || name == key;
    if (!overridden) env.emplace_back(kv);
  }
  for (const auto& [name, value] : extra) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Owns the parent's copies of the descriptors handed to the child.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

int ExitCodeFromStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(std::vector<std::string> argv,
                                                              SubprocessOptions options) {
  if (argv.empty()) return absl::InvalidArgumentError("Subprocess: empty argv");
  absl::StatusOr<std::string> program = ResolveProgram(argv[0]);
  if (!program.ok()) return program.status();

  std::unique_ptr<TempDir> log_dir;
  std::string log_path = options.log_path;
  if (log_path.empty()) {
    log_dir = std::make_unique<TempDir>("subprocess");
    log_path = log_dir->path() + "/output.log";
  }
  Fd log_fd(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("Subprocess: open ", log_path, ": ", strerror(errno)));
  }
  Fd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("Subprocess: open /dev/null: ", strerror(errno)));
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("Subprocess: pipe2: ", strerror(errno)));
  }
  Fd report_read(pipe_fds[0]);
  Fd report_write(pipe_fds[1]);

  std::vector<std::string> env = MergeEnvironment(options.env);
  std::vector<char*> envp = CStrings(env);
  std::vector<char*> argvp = CStrings(argv);
  ChildPlan plan;
  plan.program = program->c_str();
  plan.argv = argvp.data();
  plan.envp = envp.data();
  plan.working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  plan.stdin_fd = null_fd.get();
  plan.log_fd = log_fd.get();
  plan.report_fd = report_write.get();
  plan.parent_pid = getpid();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("Subprocess: fork: ", strerror(errno)));
  if (pid == 0) RunChild(plan);

  // Also from the parent, so the group exists before Start returns whatever
  // the scheduler did; EACCES once the child has exec'd is fine.
  setpgid(pid, pid);
  report_write.Reset();
  log_fd.Reset();
  null_fd.Reset();

  ChildReport report{};
  ssize_t n;
  do {
    n = read(report_read.get(), &report, sizeof(report));
  } while (n < 0 && errno == EINTR);
  if (n == 0) {  // EOF: execve closed the pipe, the program is running.
    return std::unique_ptr<Subprocess>(
        new Subprocess(pid, std::move(log_path), std::move(log_dir)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof(report)) {
    return absl::InternalError(
        absl::StrCat("Subprocess: child of ", argv[0], " died during setup, status ", status));
  }
  return absl::InternalError(absl::StrCat("Subprocess: ", StageName(report.stage), " for ", argv[0],
                                          ": ", strerror(report.error)));
}

Subprocess::~Subprocess() {
  absl::MutexLock lock(&mutex_);
  if (!PollExit()) {
    KillGroup();
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = ExitCodeFromStatus(status);
  }
  KillGroup();
}

bool Subprocess::PollExit() {
  if (exit_code_.has_value()) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  // r < 0 means someone else reaped our child (ECHILD); it is gone either way.
  exit_code_ = r == pid_ ? ExitCodeFromStatus(status) : -1;
  return true;
}

void Subprocess::KillGroup() { kill(-pid_, SIGKILL); }

bool Subprocess::Running() {
  absl::MutexLock lock(&mutex_);
  return !PollExit();
}

absl::Status Subprocess::Signal(int sig) {
  absl::MutexLock lock(&mutex_);
  // Holding the lock keeps the child unreaped, so pid_ is still ours.
  if (PollExit()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Subprocess ", pid_, " already exited with ", *exit_code_));
  }
  if (kill(pid_, sig) != 0) {
    return absl::InternalError(absl::StrCat("kill(", pid_, ", ", sig, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const bool exited = WaitFor(
      [this] {
        absl::MutexLock lock(&mutex_);
        return PollExit();
      },
      timeout, absl::Milliseconds(5));
  if (!exited) {
    return absl::DeadlineExceededError(
        absl::StrCat("Subprocess ", pid_, " still running after ", absl::FormatDuration(timeout)));
  }
  absl::MutexLock lock(&mutex_);
  return *exit_code_;
}

absl::StatusOr<int> Subprocess::Stop(absl::Duration grace) {
  // Ignored when the child already exited: Wait returns its code at once.
  Signal(SIGTERM).IgnoreError();
  absl::StatusOr<int> code = Wait(grace);
  if (!code.ok()) {
    {
      absl::MutexLock lock(&mutex_);
      if (!PollExit()) KillGroup();
    }
    code = Wait(absl::Seconds(30));
  }
  absl::MutexLock lock(&mutex_);
  KillGroup();  // Grandchildren the child left behind.
  return code;
}

std::string Subprocess::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace testing
}  // namespace switchboard
