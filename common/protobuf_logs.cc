#include "common/protobuf_logs.h"

#include <atomic>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "absl/synchronization/mutex.h"
#include "common/logging.h"

namespace switchboard {
namespace {

struct Limiter {
  absl::Mutex mu;
  int per_window ABSL_GUARDED_BY(mu) = 5;
  absl::Duration window ABSL_GUARDED_BY(mu) = absl::Seconds(10);
  absl::Time window_start ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  int in_window ABSL_GUARDED_BY(mu) = 0;
  uint64_t held_back ABSL_GUARDED_BY(mu) = 0;  // suppressed since the last line let through
};

Limiter& TheLimiter() {
  static Limiter* limiter = new Limiter();
  return *limiter;
}

std::atomic<uint64_t> suppressed_total{0};

void OnProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                   const std::string& message) {
  Limiter& l = TheLimiter();
  uint64_t held_back = 0;
  {
    absl::MutexLock lock(&l.mu);
    const absl::Time now = absl::Now();
    if (now - l.window_start >= l.window) {
      l.window_start = now;
      l.in_window = 0;
    }
    if (l.in_window >= l.per_window) {
      ++l.held_back;
      suppressed_total.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++l.in_window;
    held_back = l.held_back;
    l.held_back = 0;
  }
  const std::string note =
      held_back == 0 ? "" : fmt::format(" ({} similar lines suppressed before this one)", held_back);
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      SB_LOG_DEBUG("protobuf {}:{}: {}{}", filename, line, message, note);
      break;
    case google::protobuf::LOGLEVEL_WARNING:
    case google::protobuf::LOGLEVEL_ERROR:
      SB_LOG_WARN("protobuf {}:{}: {}{}", filename, line, message, note);
      break;
    case google::protobuf::LOGLEVEL_FATAL:
      SB_LOG_ERROR("protobuf {}:{}: {}{}", filename, line, message, note);
      break;
  }
}

}  // namespace

void RouteProtobufLogs(int lines_per_window, absl::Duration window) {
  Limiter& l = TheLimiter();
  {
    absl::MutexLock lock(&l.mu);
    l.per_window = lines_per_window;
    l.window = window;
  }
  google::protobuf::SetLogHandler(&OnProtobufLog);
}

uint64_t SuppressedProtobufLogLines() { return suppressed_total.load(std::memory_order_relaxed); }

}  // namespace switchboard
