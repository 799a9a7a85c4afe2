#include "fanout/stream_provisioner.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "common/nats_connection.h"
#include "gtest/gtest.h"
#include "tests/testing/nats_server.h"

namespace switchboard::fanout {
namespace {

class StreamProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    nats_ = Connect();
    ASSERT_NE(nats_, nullptr);
  }

  std::unique_ptr<NatsConnection> Connect() {
    NatsConnectionOptions options;
    options.urls = server_->url();
    options.retry_on_failed_connect = false;
    auto conn = NatsConnection::Connect(options);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  jsStreamConfig Info(const Subjects& subjects, jsStreamInfo** info) {
    jsErrCode jerr;
    EXPECT_EQ(js_GetStreamInfo(info, nats_->jetstream(), subjects.StreamName().c_str(), nullptr,
                               &jerr),
              NATS_OK);
    return *(*info)->Config;
  }

  std::unique_ptr<testing::NatsServer> server_;
  std::unique_ptr<NatsConnection> nats_;
};

TEST_F(StreamProvisionerTest, CreatesTheStreamAsConfigured) {
  Subjects subjects("sbt");
  StreamOptions options;
  options.history_per_room = 50;
  options.history_ttl = absl::Minutes(5);
  options.dedupe_window = absl::Seconds(30);
  options.file_storage = false;
  ASSERT_TRUE(EnsureStream(nats_->jetstream(), subjects, options).ok());

  jsStreamInfo* info = nullptr;
  jsStreamConfig config = Info(subjects, &info);
  EXPECT_EQ(std::string(config.Name), "SBT_ROOMS");
  EXPECT_EQ(config.MaxMsgsPerSubject, 50);
  EXPECT_EQ(config.MaxAge, absl::ToInt64Nanoseconds(absl::Minutes(5)));
  EXPECT_EQ(config.Duplicates, absl::ToInt64Nanoseconds(absl::Seconds(30)));
  EXPECT_EQ(config.Storage, js_MemoryStorage);
  EXPECT_TRUE(config.AllowDirect);
  ASSERT_NE(config.RePublish, nullptr);
  EXPECT_EQ(std::string(config.RePublish->Destination), "sbt.room.>");
  jsStreamInfo_Destroy(info);

  // Idempotent.
  EXPECT_TRUE(EnsureStream(nats_->jetstream(), subjects, options).ok());
}

TEST_F(StreamProvisionerTest, ConcurrentStartsAllSucceed) {
  Subjects subjects("race");
  StreamOptions options;
  options.file_storage = false;
  std::vector<std::unique_ptr<NatsConnection>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(Connect());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (auto& conn : conns) {
    threads.emplace_back([&, js = conn->jetstream()] {
      absl::Status status = EnsureStream(js, subjects, options);
      EXPECT_TRUE(status.ok()) << status;
      if (status.ok()) ok.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST_F(StreamProvisionerTest, MismatchIsReportedNotSilentlyChanged) {
  Subjects subjects("mm");
  StreamOptions options;
  options.file_storage = false;
  options.history_per_room = 100;
  ASSERT_TRUE(EnsureStream(nats_->jetstream(), subjects, options).ok());

  StreamOptions other = options;
  other.history_per_room = 10;
  absl::Status status = EnsureStream(nats_->jetstream(), subjects, other);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.message(), "max_msgs_per_subject is 100, want 10"))
      << status;
  jsStreamInfo* info = nullptr;
  EXPECT_EQ(Info(subjects, &info).MaxMsgsPerSubject, 100);
  jsStreamInfo_Destroy(info);

  // Explicitly asked: the stream is updated.
  ASSERT_TRUE(EnsureStream(nats_->jetstream(), subjects, other, /*update_if_different=*/true).ok());
  EXPECT_EQ(Info(subjects, &info).MaxMsgsPerSubject, 10);
  jsStreamInfo_Destroy(info);
}

TEST_F(StreamProvisionerTest, UnreachableNatsIsUnavailable) {
  ASSERT_TRUE(server_->Kill().ok());
  absl::Status status = EnsureStream(nats_->jetstream(), Subjects("down"), StreamOptions());
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.code() == absl::StatusCode::kUnavailable ||
              status.code() == absl::StatusCode::kDeadlineExceeded)
      << status;
}

}  // namespace
}  // namespace switchboard::fanout
