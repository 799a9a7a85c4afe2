#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

namespace switchboard {
namespace {

sigset_t ProcessSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockProcessSignals() {
  // A peer closing a socket mid-write must be an error code, not a dead process.
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = ProcessSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForProcessSignal() {
  sigset_t set = ProcessSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace switchboard
