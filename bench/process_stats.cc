#include "bench/process_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace switchboard::bench {

absl::StatusOr<ProcessStats::Sample> ProcessStats::Read(pid_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/");
  std::ifstream stat_file(dir + "stat");
  if (!stat_file) return absl::NotFoundError(absl::StrCat("no process ", pid));
  std::stringstream stat_text;
  stat_text << stat_file.rdbuf();
  const std::string stat = stat_text.str();
  // The command name (field 2) may hold spaces; fields restart after its ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return absl::InternalError("unreadable /proc stat");
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); utime is field 14, stime 15, num_threads 20.
  if (fields.size() < 18) return absl::InternalError("short /proc stat");
  int64_t utime = 0, stime = 0, threads = 0;
  if (!absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime) ||
      !absl::SimpleAtoi(fields[17], &threads)) {
    return absl::InternalError("bad /proc stat numbers");
  }
  Sample sample;
  sample.cpu_seconds = static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
  sample.threads = threads;

  std::ifstream status_file(dir + "status");
  std::string line;
  while (std::getline(status_file, line)) {
    absl::string_view rest(line);
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(rest, &kb)) sample.rss_bytes = kb * 1024;
  }
  return sample;
}

double ProcessStats::CpuPercent(const Sample& before, const Sample& after, double wall_seconds) {
  if (wall_seconds <= 0) return 0;
  return 100.0 * (after.cpu_seconds - before.cpu_seconds) / wall_seconds;
}

}  // namespace switchboard::bench
