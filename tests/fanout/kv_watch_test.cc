// KvBucket and KvWatch against a real nats-server: values in and out, keys of
// any bytes, and a watch that delivers the current values, then each change,
// and starts over after a NATS restart.
#include "fanout/kv_watch.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/nats_connection.h"
#include "control/request_validation.h"
#include "fanout/ban_store.h"
#include "fanout/kv_bucket.h"
#include "gtest/gtest.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/wait.h"

namespace switchboard::fanout {
namespace {

using testing::WaitFor;

// What a watch delivered so far.
class Seen {
 public:
  void Add(const KvWatch::Entry& e) {
    absl::MutexLock lock(&mu_);
    if (e.value) {
      values_[e.key] = *e.value;
    } else {
      values_.erase(e.key);
    }
    ++entries_;
  }
  void Synced() {
    absl::MutexLock lock(&mu_);
    ++syncs_;
  }
  std::optional<std::string> Value(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  int syncs() {
    absl::MutexLock lock(&mu_);
    return syncs_;
  }
  int entries() {
    absl::MutexLock lock(&mu_);
    return entries_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> values_ ABSL_GUARDED_BY(mu_);
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int entries_ ABSL_GUARDED_BY(mu_) = 0;
};

class KvWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    NatsConnectionOptions options;
    options.urls = server_->url();
    options.retry_on_failed_connect = false;
    auto conn = NatsConnection::Connect(options);
    ASSERT_TRUE(conn.ok()) << conn.status();
    nats_ = std::move(*conn);
    KvBucketOptions bucket;
    bucket.name = "TEST_KV";
    bucket.file_storage = true;
    auto opened = KvBucket::Open(nats_->jetstream(), bucket);
    ASSERT_TRUE(opened.ok()) << opened.status();
    bucket_ = std::move(*opened);
  }

  std::unique_ptr<testing::NatsServer> server_;
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<KvBucket> bucket_;
};

TEST_F(KvWatchTest, PutGetDeleteAndOpenAgain) {
  ASSERT_TRUE(bucket_->Put("k1", "v1").ok());
  auto got = bucket_->Get("k1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value_or("-"), "v1");
  auto missing = bucket_->Get("nope");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(bucket_->Delete("k1").ok());
  got = bucket_->Get("k1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  // A second opener binds to the same bucket.
  KvBucketOptions again;
  again.name = "TEST_KV";
  auto second = KvBucket::Open(nats_->jetstream(), again);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE((*second)->Put("k2", "v2").ok());
  EXPECT_EQ(bucket_->Get("k2")->value_or("-"), "v2");
}

TEST_F(KvWatchTest, KeysOfAnyBytesRoundTrip) {
  for (std::string id : {std::string("alice"), std::string("a.b*c>d e"), std::string("üñí"),
                         std::string("x\0y", 3), std::string(200, '.')}) {
    const std::string key = KvBucket::EncodeKey(id);
    for (char c : key) {
      EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << key;
    }
    EXPECT_EQ(KvBucket::DecodeKey(key).value_or("?"), id);
    ASSERT_TRUE(bucket_->Put(key, id).ok()) << key;
  }
  EXPECT_FALSE(KvBucket::DecodeKey("not base64!").has_value());
}

TEST_F(KvWatchTest, DeliversCurrentValuesThenChanges) {
  ASSERT_TRUE(bucket_->Put("before", "1").ok());
  ASSERT_TRUE(bucket_->Put("gone", "x").ok());
  ASSERT_TRUE(bucket_->Delete("gone").ok());
  Seen seen;
  KvWatch watch(
      bucket_.get(), [&](const KvWatch::Entry& e) { seen.Add(e); }, [&] { seen.Synced(); });
  EXPECT_FALSE(watch.synced_once());
  watch.Start();
  ASSERT_TRUE(WaitFor([&] { return seen.syncs() == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(watch.synced_once());
  EXPECT_EQ(seen.Value("before").value_or("-"), "1");
  EXPECT_FALSE(seen.Value("gone").has_value());

  ASSERT_TRUE(bucket_->Put("after", "2").ok());
  ASSERT_TRUE(bucket_->Put("before", "3").ok());
  ASSERT_TRUE(WaitFor([&] { return seen.Value("after") == "2" && seen.Value("before") == "3"; },
                      absl::Seconds(10)));
  ASSERT_TRUE(bucket_->Delete("after").ok());
  ASSERT_TRUE(WaitFor([&] { return !seen.Value("after").has_value(); }, absl::Seconds(10)));
  watch.Stop();
}

TEST_F(KvWatchTest, AnEmptyBucketIsSyncedAtOnce) {
  Seen seen;
  KvWatch watch(
      bucket_.get(), [&](const KvWatch::Entry& e) { seen.Add(e); }, [&] { seen.Synced(); });
  watch.Start();
  ASSERT_TRUE(WaitFor([&] { return watch.synced_once(); }, absl::Seconds(10)));
  EXPECT_EQ(seen.entries(), 0);
}

TEST_F(KvWatchTest, RestartDeliversEverythingAgainAndSurvivesANatsRestart) {
  ASSERT_TRUE(bucket_->Put("k", "1").ok());
  Seen seen;
  KvWatch watch(
      bucket_.get(), [&](const KvWatch::Entry& e) { seen.Add(e); }, [&] { seen.Synced(); });
  watch.Start();
  ASSERT_TRUE(WaitFor([&] { return seen.syncs() == 1; }, absl::Seconds(10)));
  const int first = seen.entries();
  watch.Restart();
  ASSERT_TRUE(WaitFor([&] { return seen.syncs() == 2; }, absl::Seconds(10)));
  EXPECT_EQ(seen.entries(), first + 1);  // "k" again

  // The server goes away (its consumers with it) and comes back with its
  // file store; after Restart() the watch follows changes again.
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(nats_->WaitConnected(absl::Seconds(10)));
  watch.Restart();
  ASSERT_TRUE(WaitFor([&] { return seen.syncs() >= 3; }, absl::Seconds(15)));
  ASSERT_TRUE(WaitFor([&] { return bucket_->Put("k", "2").ok(); }, absl::Seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return seen.Value("k") == "2"; }, absl::Seconds(10)));
}

TEST_F(KvWatchTest, BanStoreRoundTripsABan) {
  auto store = BanStore::Open(nats_->jetstream(), Subjects("sbt"), 1, false);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->bucket()->name(), "SBT_BANS");
  // KickUser refuses longer bans than the bucket keeps.
  EXPECT_EQ(BanStore::kMaxBan, control::kMaxBanFor);
  switchboard::bus::v1::Ban ban;
  ban.set_user_id("mallory.x");
  ban.set_reason("spam");
  ban.mutable_until()->set_seconds(2000000000);
  ASSERT_TRUE((*store)->Put(ban).ok());
  auto got = (*store)->Get("mallory.x");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->reason(), "spam");
  EXPECT_EQ((*got)->until().seconds(), 2000000000);
  EXPECT_FALSE(BanStore::Decode("\xff\xff garbage").has_value());
  switchboard::bus::v1::Ban nobody;
  EXPECT_FALSE((*store)->Put(nobody).ok());
}

}  // namespace
}  // namespace switchboard::fanout
