#ifndef SWITCHBOARD_BENCH_PROCESS_STATS_H_
#define SWITCHBOARD_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace switchboard::bench {

// A snapshot of a process's resource use read from /proc/<pid>/{stat,status}
// (Linux only). Used for the gateway (--gateway_pid) and the load generator
// itself, so a run can tell which side ran out of CPU.
class ProcessStats {
 public:
  struct Sample {
    double cpu_seconds = 0;  // utime + stime.
    int64_t rss_bytes = 0;   // VmRSS.
    int64_t threads = 0;
  };

  // NotFound when the process does not exist; Internal when /proc is unreadable.
  static absl::StatusOr<Sample> Read(pid_t pid);

  // CPU use between two samples as a percentage of one core.
  static double CpuPercent(const Sample& before, const Sample& after, double wall_seconds);
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_PROCESS_STATS_H_
