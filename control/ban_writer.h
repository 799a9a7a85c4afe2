#ifndef SWITCHBOARD_CONTROL_BAN_WRITER_H_
#define SWITCHBOARD_CONTROL_BAN_WRITER_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "fanout/ban_store.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::control {

// Writes KickUser's bans into the cluster's bans bucket (fanout::BanStore),
// opening the bucket on first use: the control plane may start before NATS.
// Thread-safe; Put blocks for NATS round trips.
class BanWriter {
 public:
  // `nats` must outlive this object.
  BanWriter(NatsConnection* nats, Subjects subjects, int replicas, bool file_storage)
      : nats_(nats), subjects_(std::move(subjects)), replicas_(replicas),
        file_storage_(file_storage) {}

  // Unavailable while NATS or JetStream cannot store it.
  absl::Status Put(const switchboard::bus::v1::Ban& ban);

 private:
  NatsConnection* const nats_;
  const Subjects subjects_;
  const int replicas_;
  const bool file_storage_;
  absl::Mutex mu_;
  std::unique_ptr<fanout::BanStore> store_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_BAN_WRITER_H_
