#ifndef SWITCHBOARD_CONTROL_TAIL_CHECKED_WATCH_H_
#define SWITCHBOARD_CONTROL_TAIL_CHECKED_WATCH_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace switchboard::control {

// What WatchRegistry needs from a Watch stream that promised every message of
// a persisted room (since_offset): after a NATS reconnect the registry reads
// the room's newest stored offset and hands it over, since messages
// republished while the connection was down never arrive. An interface so
// that the registry does not depend on the gRPC reactor. All methods may be
// called from any thread.
class TailCheckedWatch {
 public:
  // Takes a reference that keeps the watch alive until Unref, unless the
  // watch is already being destroyed (then false, and the watch must not be
  // touched again).
  virtual bool TryRef() = 0;
  virtual void Unref() = 0;
  virtual const std::string& room() const = 0;
  // `stored_last` is the room's newest stored offset. Unless the watch has
  // sent everything up to it by `grace_deadline` (a message may be on its
  // way), the stream ends with ABORTED naming the offset to resume from
  // (queued events are written first). Returns true when it ended the stream.
  // A watch still replaying history defers the check until its replay ends;
  // a finished one ignores it. May block until `grace_deadline`.
  virtual bool EndIfBehind(uint64_t stored_last, absl::Time grace_deadline) = 0;
  // The tail could not be read (`cause`): ends the stream with UNAVAILABLE
  // naming the offset to resume from, rather than staying open on a promise
  // it may not keep. Deferred or ignored like EndIfBehind.
  virtual void EndTailUnknown(const absl::Status& cause) = 0;

 protected:
  ~TailCheckedWatch() = default;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_TAIL_CHECKED_WATCH_H_
