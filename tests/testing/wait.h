#ifndef SWITCHBOARD_TESTS_TESTING_WAIT_H_
#define SWITCHBOARD_TESTS_TESTING_WAIT_H_

#include <functional>

#include "absl/time/time.h"

namespace switchboard {
namespace testing {

// The one sanctioned way for a test to wait: calls `condition` every `poll`
// until it returns true (returns true) or `timeout` has passed (returns false
// after one last check at the deadline, so a slow condition still gets its
// chance). Never a bare sleep standing in for synchronization. `condition`
// runs on the calling thread.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(10));

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_WAIT_H_
