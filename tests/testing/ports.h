#ifndef SWITCHBOARD_TESTS_TESTING_PORTS_H_
#define SWITCHBOARD_TESTS_TESTING_PORTS_H_

#include <utility>

#include "absl/status/statusor.h"

namespace switchboard {
namespace testing {

// A TCP port on 127.0.0.1 for a server a test is about to start, reserved for
// the rest of this process's life. Thread-safe.
//
// Three things can take a port between picking it and the server's bind, and
// each is closed off:
//  - the kernel's own choices: every outgoing connection gets a source port
//    from the ephemeral range (ip_local_port_range), and so does any bind to
//    port 0. Ports are picked at random *outside* that range, so a gateway's
//    NATS connection or a test's HTTP probe can never sit on one;
//  - other test processes running in parallel (Bazel runs several): a port is
//    reserved across processes by binding the abstract Unix socket
//    "switchboard-test-port-N", which the kernel releases when the process
//    exits, however it exits;
//  - this process picking twice: a port is never handed out twice.
// The port is also checked to be bindable right now, which skips ports held
// by anything else on the machine. On a machine whose ephemeral range leaves
// fewer than 1000 ports above 10000, ports are picked among all of them.
absl::StatusOr<int> PickFreePort();

// PickFreePort with `ephemeral` as the range to avoid (for tests of the
// choice itself).
absl::StatusOr<int> PickFreePortAvoiding(std::pair<int, int> ephemeral);

// The range PickFreePort avoids: the kernel's ephemeral ports, read from
// /proc/sys/net/ipv4/ip_local_port_range ({32768, 60999} if unreadable).
std::pair<int, int> EphemeralPortRange();

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_PORTS_H_
