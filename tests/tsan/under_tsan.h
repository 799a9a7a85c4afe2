#ifndef SWITCHBOARD_TESTS_TSAN_UNDER_TSAN_H_
#define SWITCHBOARD_TESTS_TSAN_UNDER_TSAN_H_

namespace switchboard::testing {

// True when this binary runs under ThreadSanitizer (built with
// --config=tsan), and with it every process the test starts from the same
// build. --config=tsan undefines __SANITIZE_THREAD__ (tests/tsan/README.md,
// "ABI"), so this asks the runtime instead of the preprocessor. For the rare
// test that cannot run under TSan: skip with a reason, never loosen a check.
// Thread-safe.
bool UnderThreadSanitizer();

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_TSAN_UNDER_TSAN_H_
