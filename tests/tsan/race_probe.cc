// A program with one synchronization pattern per mode, for
// tsan_annotations_test: under --config=tsan the correctly synchronized modes
// must run without a ThreadSanitizer report (absl_sync_annotations.cc and the
// suppressions make Debian's uninstrumented Abseil visible) and the racy ones
// must still be reported.
//
// Usage: race_probe MODE, MODE one of the names in kModes. Exit status 0, 2
// for a bad mode; TSan exits with 66 on a report.

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

constexpr int kItems = 2000;

// A queue whose consumer waits with Mutex::Await on a Condition: absl may
// evaluate the condition on the producer's thread while it unlocks.
int Await() {
  absl::Mutex mu;
  std::deque<std::string> queue;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      absl::MutexLock lock(&mu);
      queue.push_back(std::string(40, 'a' + i % 26));
    }
  });
  size_t total = 0;
  for (int i = 0; i < kItems; ++i) {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(
                            +[](std::deque<std::string>* q) { return !q->empty(); }, &queue),
                        absl::Seconds(30));
    total += queue.front().size();
    queue.pop_front();
  }
  producer.join();
  return total == 40u * kItems ? 0 : 1;
}

int CondVar() {
  absl::Mutex mu;
  absl::CondVar cv;
  std::vector<int> items;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      absl::MutexLock lock(&mu);
      items.push_back(i);
      cv.Signal();
    }
  });
  {
    absl::MutexLock lock(&mu);
    while (items.size() < kItems) cv.WaitWithTimeout(&mu, absl::Seconds(30));
  }
  producer.join();
  return items.back() == kItems - 1 ? 0 : 1;
}

int Notification() {
  std::string result;
  absl::Notification done;
  std::thread worker([&] {
    result = "computed";
    done.Notify();
  });
  while (!done.HasBeenNotified()) std::this_thread::yield();
  const bool ok = result == "computed";
  worker.join();
  std::string second;
  absl::Notification ready;
  std::thread other([&] {
    second = "again";
    ready.Notify();
  });
  ready.WaitForNotification();
  const bool ok2 = second == "again";
  other.join();
  return ok && ok2 ? 0 : 1;
}

int Counter() {
  constexpr int kThreads = 4;
  std::vector<int> slots(kThreads, 0);
  absl::BlockingCounter counter(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      slots[t] = t + 1;
      counter.DecrementCount();
    });
  }
  counter.Wait();
  int sum = 0;
  for (int s : slots) sum += s;
  for (auto& t : threads) t.join();
  return sum == 10 ? 0 : 1;
}

// Heap-allocated Status payloads shared between threads: their reference
// count lives in uninstrumented libabsl_status.
int Status() {
  absl::Status status = absl::InternalError(std::string(100, 'x'));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = status] {
      absl::Status mine = copy;
      if (mine.message().size() != 100) std::abort();
    });
  }
  status = absl::OkStatus();
  for (auto& t : threads) t.join();
  return 0;
}

// Racy: two threads write one int without synchronization.
int Unlocked() {
  int value = 0;
  std::thread a([&] {
    for (int i = 0; i < 1000; ++i) ++value;
  });
  std::thread b([&] {
    for (int i = 0; i < 1000; ++i) ++value;
  });
  a.join();
  b.join();
  return value > 0 ? 0 : 1;
}

// Racy: the writer holds the mutex, the reader does not.
int HalfLocked() {
  absl::Mutex mu;
  std::vector<int> items;
  std::thread writer([&] {
    for (int i = 0; i < 1000; ++i) {
      absl::MutexLock lock(&mu);
      items.push_back(i);
    }
  });
  size_t seen = 0;
  for (int i = 0; i < 1000; ++i) seen += items.size();
  writer.join();
  return seen < ~size_t{0} ? 0 : 1;
}

struct Mode {
  const char* name;
  int (*run)();
};

constexpr Mode kModes[] = {
    {"await", Await},       {"condvar", CondVar},   {"notification", Notification},
    {"counter", Counter},   {"status", Status},     {"unlocked", Unlocked},
    {"half_locked", HalfLocked},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "tsan") == 0) {
    // Exit 0 when this binary runs under ThreadSanitizer.
    return dlsym(RTLD_DEFAULT, "__tsan_init") != nullptr ? 0 : 1;
  }
  for (const Mode& mode : kModes) {
    if (argc == 2 && std::strcmp(argv[1], mode.name) == 0) return mode.run();
  }
  std::fprintf(stderr, "usage: race_probe MODE\n");
  return 2;
}
