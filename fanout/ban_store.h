#ifndef SWITCHBOARD_FANOUT_BAN_STORE_H_
#define SWITCHBOARD_FANOUT_BAN_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/subjects.h"
#include "fanout/kv_bucket.h"
#include "proto/switchboard/bus/v1/bus.pb.h"

namespace switchboard::fanout {

// The cluster's bans, in the KV bucket Subjects::BansBucket(): one
// bus.v1.Ban per user, keyed by KvBucket::EncodeKey(user_id). Control planes
// write them (KickUser with ban_for); gateways watch the bucket (KvWatch) and
// refuse a banned user's connections, including gateways started after the
// ban. Thread-safe; every call blocks for a NATS round trip.
class BanStore {
 public:
  // The longest ban: also the bucket's max age, so that an entry is removed
  // by JetStream at the latest this long after it was written.
  static constexpr absl::Duration kMaxBan = absl::Hours(24 * 366);

  // Opens (creating if needed) the bucket. `replicas` and `file_storage` as
  // for the rooms stream.
  static absl::StatusOr<std::unique_ptr<BanStore>> Open(jsCtx* js, const Subjects& subjects,
                                                        int replicas, bool file_storage);

  // Stores `ban` (its user_id set), replacing an earlier one of that user.
  absl::Status Put(const switchboard::bus::v1::Ban& ban);
  // The user's stored ban, if any (expired ones included: check `until`).
  absl::StatusOr<std::optional<switchboard::bus::v1::Ban>> Get(const std::string& user_id);

  // The Ban of a watched entry; nullopt for a delete or an undecodable value.
  static std::optional<switchboard::bus::v1::Ban> Decode(const std::string& value);

  KvBucket* bucket() const { return bucket_.get(); }

 private:
  explicit BanStore(std::unique_ptr<KvBucket> bucket) : bucket_(std::move(bucket)) {}

  std::unique_ptr<KvBucket> bucket_;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_BAN_STORE_H_
