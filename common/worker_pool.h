#ifndef SWITCHBOARD_COMMON_WORKER_POOL_H_
#define SWITCHBOARD_COMMON_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace switchboard {

// A fixed set of threads for the blocking parts of RPCs (JetStream acks,
// history reads, command scatter-gather), so that gRPC's callback threads
// never wait on NATS. The queue is bounded: when it is full TrySubmit refuses
// and the RPC answers RESOURCE_EXHAUSTED instead of queueing without limit.
// Thread-safe. The destructor runs what is queued, then joins.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` dropped) when the queue is full or the
  // pool is stopping.
  bool TrySubmit(std::function<void()> task);

 private:
  void Loop();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_WORKER_POOL_H_
