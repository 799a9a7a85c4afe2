#ifndef SWITCHBOARD_COMMON_SIGNALS_H_
#define SWITCHBOARD_COMMON_SIGNALS_H_

namespace switchboard {

// Blocks SIGINT and SIGTERM (and ignores SIGPIPE) in the calling thread and in
// every thread it starts afterwards. Call first thing in main(), before any
// library starts threads, so that WaitForTerminationSignal() sees the signals.
void BlockTerminationSignals();

// Waits for SIGINT or SIGTERM and returns its number.
int WaitForTerminationSignal();

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_SIGNALS_H_
