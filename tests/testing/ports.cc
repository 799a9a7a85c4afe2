#include "tests/testing/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace switchboard {
namespace testing {
namespace {

constexpr int kMaxAttempts = 64;

absl::Mutex g_mutex;
absl::flat_hash_set<int>* g_handed_out ABSL_GUARDED_BY(g_mutex) = nullptr;

absl::StatusOr<int> BindEphemeralPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("bind 127.0.0.1:0: ", strerror(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<int> port = BindEphemeralPort();
    if (!port.ok()) return port.status();
    absl::MutexLock lock(&g_mutex);
    if (g_handed_out == nullptr) g_handed_out = new absl::flat_hash_set<int>();
    if (g_handed_out->insert(*port).second) return *port;
  }
  return absl::ResourceExhaustedError("PickFreePort: the kernel keeps returning used ports");
}

}  // namespace testing
}  // namespace switchboard
