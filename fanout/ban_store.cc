#include "fanout/ban_store.h"

#include "absl/strings/str_cat.h"

namespace switchboard::fanout {

namespace bv1 = switchboard::bus::v1;

absl::StatusOr<std::unique_ptr<BanStore>> BanStore::Open(jsCtx* js, const Subjects& subjects,
                                                         int replicas, bool file_storage) {
  KvBucketOptions options;
  options.name = subjects.BansBucket();
  options.description = "Switchboard bans (bus.v1.Ban by user)";
  options.max_age = kMaxBan;
  options.replicas = replicas;
  options.file_storage = file_storage;
  auto bucket = KvBucket::Open(js, options);
  if (!bucket.ok()) return bucket.status();
  return std::unique_ptr<BanStore>(new BanStore(std::move(*bucket)));
}

absl::Status BanStore::Put(const bv1::Ban& ban) {
  if (ban.user_id().empty()) return absl::InvalidArgumentError("a ban needs a user id");
  auto revision = bucket_->Put(KvBucket::EncodeKey(ban.user_id()), ban.SerializeAsString());
  return revision.status();
}

absl::StatusOr<std::optional<bv1::Ban>> BanStore::Get(const std::string& user_id) {
  auto value = bucket_->Get(KvBucket::EncodeKey(user_id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<bv1::Ban>();
  return Decode(**value);
}

std::optional<bv1::Ban> BanStore::Decode(const std::string& value) {
  bv1::Ban ban;
  if (!ban.ParseFromString(value) || ban.user_id().empty()) return std::nullopt;
  return ban;
}

}  // namespace switchboard::fanout
