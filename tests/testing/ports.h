#ifndef SWITCHBOARD_TESTS_TESTING_PORTS_H_
#define SWITCHBOARD_TESTS_TESTING_PORTS_H_

#include "absl/status/statusor.h"

namespace switchboard {
namespace testing {

// A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it
// (bind to port 0), the socket is closed and the number returned. Never
// returns the same port twice in one process, so fixtures that pick several
// ports before starting anything do not collide with each other. Another
// process may still take the port before the caller binds it; callers that
// can, retry with a new port. Thread-safe.
absl::StatusOr<int> PickFreePort();

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_PORTS_H_
