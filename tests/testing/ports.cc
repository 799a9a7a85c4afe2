#include "tests/testing/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace switchboard {
namespace testing {
namespace {

// Below this are well-known and registered ports of system services.
constexpr int kLowestPort = 10000;
constexpr int kHighestPort = 65535;
constexpr int kMaxAttempts = 2000;
// Fewer ports than this outside the ephemeral range, and the range is ignored.
constexpr int kMinOutsidePorts = 1000;

absl::Mutex g_mutex;
// Ports handed out by this process; the reservation sockets stay open (and
// the ports reserved) until the process exits.
absl::flat_hash_set<int>* g_handed_out ABSL_GUARDED_BY(g_mutex) = nullptr;

// Takes the machine-wide reservation of `port`: an abstract Unix socket name
// is unique per network namespace, and is freed by the kernel when its last
// descriptor closes, so a crashed test leaves nothing behind. Returns the
// socket that holds the reservation, or -1 if another process holds it.
int Reserve(int port) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string name = absl::StrCat("switchboard-test-port-", port);
  // Abstract namespace: a leading NUL, no file on disk.
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const socklen_t len = offsetof(sockaddr_un, sun_path) + 1 + name.size();
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True if nothing on the machine holds 127.0.0.1:`port` (listening, bound or
// connected from it). No SO_REUSEADDR, so a port with connections in
// TIME_WAIT is skipped too.
bool Bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

std::pair<int, int> EphemeralPortRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (in >> low >> high && low > 0 && high >= low && high <= kHighestPort) return {low, high};
  return {32768, 60999};
}

absl::StatusOr<int> PickFreePort() { return PickFreePortAvoiding(EphemeralPortRange()); }

absl::StatusOr<int> PickFreePortAvoiding(std::pair<int, int> ephemeral) {
  const auto [eph_low, eph_high] = ephemeral;
  // The candidates: [kLowestPort, kHighestPort] without the ephemeral range.
  std::vector<std::pair<int, int>> ranges;
  if (eph_low > kLowestPort) ranges.push_back({kLowestPort, eph_low - 1});
  if (eph_high < kHighestPort) ranges.push_back({std::max(eph_high + 1, kLowestPort), kHighestPort});
  int total = 0;
  for (const auto& [lo, hi] : ranges) total += hi - lo + 1;
  if (total < kMinOutsidePorts) {
    // A machine whose ephemeral range covers (nearly) everything: pick among
    // all ports; the reservation and the bind check still apply.
    ranges = {{kLowestPort, kHighestPort}};
    total = kHighestPort - kLowestPort + 1;
  }
  absl::BitGen gen;
  absl::MutexLock lock(&g_mutex);
  if (g_handed_out == nullptr) g_handed_out = new absl::flat_hash_set<int>();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    int index = absl::Uniform(gen, 0, total);
    int port = 0;
    for (const auto& [lo, hi] : ranges) {
      if (index <= hi - lo) {
        port = lo + index;
        break;
      }
      index -= hi - lo + 1;
    }
    if (g_handed_out->contains(port)) continue;
    // Reserve first, so that two processes never both see the port bindable
    // and take it.
    const int reservation = Reserve(port);
    if (reservation < 0) continue;
    if (!Bindable(port)) {
      close(reservation);
      continue;
    }
    // The reservation socket stays open until the process exits.
    g_handed_out->insert(port);
    return port;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("PickFreePort: no free port outside ", eph_low, "-", eph_high, " after ",
                   kMaxAttempts, " tries"));
}

}  // namespace testing
}  // namespace switchboard
