#include "fanout/kv_bucket.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/nats_status.h"

namespace switchboard::fanout {

absl::StatusOr<std::unique_ptr<KvBucket>> KvBucket::Open(jsCtx* js,
                                                         const KvBucketOptions& options) {
  kvStore* kv = nullptr;
  // Bind first: the common case, and it leaves an existing bucket untouched.
  natsStatus s = js_KeyValue(&kv, js, options.name.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = options.name.c_str();
    config.Description = options.description.c_str();
    config.History = 1;
    config.TTL = absl::ToInt64Nanoseconds(options.max_age);
    config.StorageType = options.file_storage ? js_FileStorage : js_MemoryStorage;
    config.Replicas = options.replicas;
    config.MaxValueSize = options.max_value_bytes;
    s = js_CreateKeyValue(&kv, js, &config);
    // Another process created it between the look-up and the create.
    if (s != NATS_OK) s = js_KeyValue(&kv, js, options.name.c_str());
  }
  if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("open KV bucket ", options.name));
  return std::unique_ptr<KvBucket>(new KvBucket(kv, options.name));
}

KvBucket::~KvBucket() { kvStore_Destroy(kv_); }

absl::StatusOr<uint64_t> KvBucket::Put(absl::string_view key, absl::string_view value) {
  const std::string k(key);
  uint64_t revision = 0;
  natsStatus s = kvStore_Put(&revision, kv_, k.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("put ", name_, "/", k));
  return revision;
}

absl::StatusOr<std::optional<std::string>> KvBucket::Get(absl::string_view key) {
  const std::string k(key);
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, kv_, k.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<std::string>();
  if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("get ", name_, "/", k));
  std::string value(static_cast<const char*>(kvEntry_Value(entry)),
                    static_cast<size_t>(kvEntry_ValueLen(entry)));
  kvEntry_Destroy(entry);
  return std::optional<std::string>(std::move(value));
}

absl::Status KvBucket::Delete(absl::string_view key) {
  const std::string k(key);
  natsStatus s = kvStore_Delete(kv_, k.c_str());
  if (s != NATS_OK) return FromNatsStatus(s, absl::StrCat("delete ", name_, "/", k));
  return absl::OkStatus();
}

std::string KvBucket::EncodeKey(absl::string_view id) { return absl::WebSafeBase64Escape(id); }

std::optional<std::string> KvBucket::DecodeKey(absl::string_view key) {
  std::string out;
  if (!absl::WebSafeBase64Unescape(key, &out)) return std::nullopt;
  return out;
}

}  // namespace switchboard::fanout
