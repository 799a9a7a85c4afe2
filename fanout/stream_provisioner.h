#ifndef SWITCHBOARD_FANOUT_STREAM_PROVISIONER_H_
#define SWITCHBOARD_FANOUT_STREAM_PROVISIONER_H_

#include <nats/nats.h>

#include "absl/status/status.h"
#include "common/subjects.h"
#include "fanout/stream_options.h"

namespace switchboard::fanout {

// Creates the persisted-rooms stream (Subjects::StreamName()) if it is missing:
// subjects "<prefix>.pub.>", RePublish to "<prefix>.room.>", AllowDirect, and
// `options`. Idempotent and safe when several processes start at once: a
// creation race is resolved by re-reading what the winner created.
//
// An existing stream whose settings differ from `options` (or lacks RePublish
// or AllowDirect) is never changed silently: the result is FailedPrecondition
// naming each differing setting, unless `update_if_different` is set, in which
// case the stream is updated to `options` (JetStream refuses some changes,
// e.g. storage type; that error is returned). Blocking; call off hot threads.
absl::Status EnsureStream(jsCtx* js, const Subjects& subjects, const StreamOptions& options,
                          bool update_if_different = false);

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_STREAM_PROVISIONER_H_
