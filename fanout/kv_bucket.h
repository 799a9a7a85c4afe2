#ifndef SWITCHBOARD_FANOUT_KV_BUCKET_H_
#define SWITCHBOARD_FANOUT_KV_BUCKET_H_

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::fanout {

struct KvBucketOptions {
  std::string name;
  std::string description;
  // Entries older than this are removed by JetStream (0: never).
  absl::Duration max_age = absl::ZeroDuration();
  int replicas = 1;
  bool file_storage = true;
  // Largest value, in bytes.
  int32_t max_value_bytes = 4096;
};

// One JetStream key-value bucket: state that outlives every process (bans,
// subscriptions, the gateway directory). Keys must match [-/_=.a-zA-Z0-9]+;
// callers encode arbitrary ids first (EncodeKey). Thread-safe: NATS.c's kvStore
// may be used from any thread. Every call blocks for a NATS round trip, so
// call it off event-loop threads.
class KvBucket {
 public:
  // Binds to the bucket, creating it with `options` when it does not exist
  // yet. Safe when several processes open it at once. An existing bucket is
  // used as it is (its settings are the first creator's).
  static absl::StatusOr<std::unique_ptr<KvBucket>> Open(jsCtx* js, const KvBucketOptions& options);

  ~KvBucket();
  KvBucket(const KvBucket&) = delete;
  KvBucket& operator=(const KvBucket&) = delete;

  // Stores `value` under `key`; returns the entry's revision.
  absl::StatusOr<uint64_t> Put(absl::string_view key, absl::string_view value);
  // The value of `key`, or nullopt when it has none (never set, or deleted).
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key);
  absl::Status Delete(absl::string_view key);

  const std::string& name() const { return name_; }
  kvStore* raw() const { return kv_; }

  // Any bytes as a valid key: unpadded base64url ("alice" -> "YWxpY2U"), which
  // keeps case, avoids '.', and is reversible.
  static std::string EncodeKey(absl::string_view id);
  static std::optional<std::string> DecodeKey(absl::string_view key);

 private:
  KvBucket(kvStore* kv, std::string name) : kv_(kv), name_(std::move(name)) {}

  kvStore* const kv_;
  const std::string name_;
};

}  // namespace switchboard::fanout

#endif  // SWITCHBOARD_FANOUT_KV_BUCKET_H_
