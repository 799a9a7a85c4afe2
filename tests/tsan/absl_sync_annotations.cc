// Teaches ThreadSanitizer the happens-before edges of Debian's Abseil
// synchronization primitives, which are compiled without TSan: to TSan an
// absl::Mutex is invisible, so every access it guards in our (instrumented)
// code looks like a data race.
//
// How: this library is linked into every binary of --config=tsan (as
// --custom_malloc, the one Bazel hook that reaches every cc_binary and
// cc_test, see .bazelrc) and defines the public absl::Mutex, CondVar,
// Notification, BlockingCounter and Barrier functions itself. The dynamic
// linker binds every call, ours and libabsl_synchronization.so's own, to these
// definitions first; each forwards to the real function (dlsym RTLD_NEXT) and
// tells TSan what the call means:
// - taking a lock (Lock, LockWhen, a successful TryLock, the return from
//   Await or CondVar::Wait) acquires the mutex's address;
// - giving it up (Unlock, entering Await or CondVar::Wait) releases it;
// - a Condition runs wrapped: absl evaluates conditions with the lock held,
//   but possibly on the thread that is unlocking, so the wrapper acquires
//   before and releases after the user's predicate;
// - Notify, DecrementCount and Barrier::Block release the object, the waits
//   acquire it (and Notify releases notified_yet_, which the inline
//   HasBeenNotified() reads with an instrumented acquire load).
// Nothing is suppressed: a race in our code is still reported when the code
// really lacks synchronization.
//
// This file is compiled without -fsanitize=thread (the wrapper must not be
// seen reading the Condition it builds before acquiring) and with the ABI of
// the uninstrumented Abseil (--copt=-U__SANITIZE_THREAD__, as everything in
// --config=tsan).
//
// It also gives TSan its default options and the suppressions of
// tests/tsan/suppressions.txt, so that every process of a test, including
// gateways a test starts, uses them without depending on the working
// directory or the environment.

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}

namespace {

// The real function behind `mangled`, the next definition after this one.
template <typename Fn>
Fn Real(const char* mangled) {
  void* fn = dlsym(RTLD_NEXT, mangled);
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_sync_annotations: %s not found: %s\n", mangled, dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

void Acquire(const void* addr) { __tsan_acquire(const_cast<void*>(addr)); }
void Release(const void* addr) { __tsan_release(const_cast<void*>(addr)); }

// A Condition evaluated with TSan told that `mu` is held meanwhile.
struct Annotated {
  const absl::Condition* condition;
  const absl::Mutex* mu;
};

bool EvalAnnotated(Annotated* a) {
  Acquire(a->mu);
  const bool result = a->condition->Eval();
  Release(a->mu);
  return result;
}

// Notification's layout: {Mutex mutex_; std::atomic<bool> notified_yet_;}.
static_assert(sizeof(absl::Notification) == sizeof(absl::Mutex) + 8,
              "absl::Notification's layout changed: update NotifiedYet()");
const void* NotifiedYet(const absl::Notification* n) {
  return reinterpret_cast<const char*>(n) + sizeof(absl::Mutex);
}

}  // namespace

// Expands to the real function's pointer, resolved once.
#define SB_REAL(type, mangled) \
  static const auto real = Real<type>(mangled)

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  SB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  SB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  SB_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  SB_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  SB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  Release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  SB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}

void Mutex::LockWhen(const Condition& cond) {
  SB_REAL(void (*)(Mutex*, const Condition&),
          "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  Annotated a{&cond, this};
  real(this, Condition(&EvalAnnotated, &a));
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  SB_REAL(void (*)(Mutex*, const Condition&),
          "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Annotated a{&cond, this};
  real(this, Condition(&EvalAnnotated, &a));
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  SB_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
          "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a{&cond, this};
  const bool result = real(this, Condition(&EvalAnnotated, &a), timeout);
  Acquire(this);  // held whatever the result
  return result;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  SB_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
          "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a{&cond, this};
  const bool result = real(this, Condition(&EvalAnnotated, &a), timeout);
  Acquire(this);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  SB_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
          "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a{&cond, this};
  const bool result = real(this, Condition(&EvalAnnotated, &a), deadline);
  Acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  SB_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
          "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a{&cond, this};
  const bool result = real(this, Condition(&EvalAnnotated, &a), deadline);
  Acquire(this);
  return result;
}

void Mutex::Await(const Condition& cond) {
  SB_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  Annotated a{&cond, this};
  Release(this);
  real(this, Condition(&EvalAnnotated, &a));
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  SB_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
          "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a{&cond, this};
  Release(this);
  const bool result = real(this, Condition(&EvalAnnotated, &a), timeout);
  Acquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  SB_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
          "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a{&cond, this};
  Release(this);
  const bool result = real(this, Condition(&EvalAnnotated, &a), deadline);
  Acquire(this);
  return result;
}

void CondVar::Wait(Mutex* mu) {
  SB_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  SB_REAL(bool (*)(CondVar*, Mutex*, absl::Duration),
          "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool result = real(this, mu, timeout);
  Acquire(mu);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  SB_REAL(bool (*)(CondVar*, Mutex*, absl::Time),
          "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool result = real(this, mu, deadline);
  Acquire(mu);
  return result;
}

void Notification::Notify() {
  SB_REAL(void (*)(Notification*), "_ZN4absl7debian312Notification6NotifyEv");
  Release(this);
  Release(NotifiedYet(this));
  real(this);
}

void Notification::WaitForNotification() const {
  SB_REAL(void (*)(const Notification*),
          "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  Acquire(this);
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  SB_REAL(bool (*)(const Notification*, absl::Duration),
          "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) Acquire(this);
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  SB_REAL(bool (*)(const Notification*, absl::Time),
          "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified) Acquire(this);
  return notified;
}

bool BlockingCounter::DecrementCount() {
  SB_REAL(bool (*)(BlockingCounter*), "_ZN4absl7debian315BlockingCounter14DecrementCountEv");
  Release(this);
  const bool zero = real(this);
  if (zero) Acquire(this);
  return zero;
}

void BlockingCounter::Wait() {
  SB_REAL(void (*)(BlockingCounter*), "_ZN4absl7debian315BlockingCounter4WaitEv");
  real(this);
  Acquire(this);
}

bool Barrier::Block() {
  SB_REAL(bool (*)(Barrier*), "_ZN4absl7debian37Barrier5BlockEv");
  Release(this);
  const bool last = real(this);
  Acquire(this);
  return last;
}

ABSL_NAMESPACE_END
}  // namespace absl

#undef SB_REAL

// TSan's hooks for built-in options and suppressions (the runtime calls them
// at start-up; TSAN_OPTIONS and its suppressions= still add to them).
// halt_on_error: the first report fails the test (exit code 66), with the
// report last in its log. second_deadlock_stack: both stacks of a lock-order
// inversion.
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1";
}

extern "C" const char* __tsan_default_suppressions() {
  return
#include "tests/tsan/suppressions.inc"
      ;
}
