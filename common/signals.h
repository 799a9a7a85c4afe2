#ifndef SWITCHBOARD_COMMON_SIGNALS_H_
#define SWITCHBOARD_COMMON_SIGNALS_H_

namespace switchboard {

// Blocks SIGINT, SIGTERM and SIGHUP (and ignores SIGPIPE) in the calling
// thread and in every thread it starts afterwards. Call first thing in main(),
// before any library starts threads, so that WaitForProcessSignal() sees them.
void BlockProcessSignals();

// Waits for SIGINT, SIGTERM or SIGHUP and returns its number. SIGINT and
// SIGTERM ask the process to stop; SIGHUP to reload what it can (the gateway
// reloads its TLS certificate).
int WaitForProcessSignal();

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_SIGNALS_H_
