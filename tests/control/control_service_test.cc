// ControlService over real gRPC against a real nats-server: publishing,
// history, validation, authentication, NATS outages and Watch.
#include "control/control_service.h"

#include <nats/nats.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/subjects.h"
#include "gtest/gtest.h"
#include "proto/switchboard/bus/v1/bus.pb.h"
#include "tests/control/control_test_base.h"
#include "tests/testing/http_get.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace switchboard::control::testing {
namespace {

namespace v1 = switchboard::control::v1;
using ::switchboard::testing::WaitFor;

class ControlServiceTest : public ControlTestBase {};

grpc::Status Publish(v1::ControlService::Stub& stub, grpc::ClientContext* ctx,
                     const std::string& room, const std::string& text,
                     v1::PublishResponse* response, const std::string& message_id = "") {
  v1::PublishRequest request;
  request.set_room(room);
  request.set_message_id(message_id);
  request.mutable_payload()->set_text(text);
  return stub.Publish(ctx, request, response);
}

TEST_F(ControlServiceTest, PublishIsAckedWithIncreasingOffsets) {
  StartAll();
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    v1::PublishResponse ack = MustPublish("chat:lobby", absl::StrCat("hello ", i));
    EXPECT_GT(ack.offset(), last);
    EXPECT_FALSE(ack.duplicate());
    EXPECT_EQ(ack.message_id().size(), 32u) << "generated ids are 128-bit hex";
    last = ack.offset();
  }
}

TEST_F(ControlServiceTest, RetryWithTheSameMessageIdIsADuplicate) {
  StartAll();
  v1::PublishResponse first = MustPublish("orders", "created", "order-17");
  v1::PublishResponse retry = MustPublish("orders", "created", "order-17");
  EXPECT_EQ(retry.offset(), first.offset());
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.message_id(), "order-17");
  // The same id in another room is another message.
  v1::PublishResponse other = MustPublish("invoices", "created", "order-17");
  EXPECT_FALSE(other.duplicate());
  EXPECT_NE(other.offset(), first.offset());
}

TEST_F(ControlServiceTest, EphemeralRoomsHaveNoOffset) {
  StartAll();
  v1::PublishResponse ack = MustPublish("eph:cursors", "x=1");
  EXPECT_EQ(ack.offset(), 0u);
  EXPECT_FALSE(ack.message_id().empty());
}

TEST_F(ControlServiceTest, BadRequestsAreInvalidArgument) {
  StartAll([](ControlOptions& o) { o.max_payload_bytes = 1024; });
  auto expect_invalid = [](const grpc::Status& status, absl::string_view needle) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), needle)) << status.error_message();
  };
  v1::PublishResponse ack;
  expect_invalid(Publish(stub(), Ctx().get(), "", "x", &ack), "empty");
  expect_invalid(Publish(stub(), Ctx().get(), "a.b", "x", &ack), "forbidden character");
  expect_invalid(Publish(stub(), Ctx().get(), "chat>", "x", &ack), "forbidden character");
  expect_invalid(Publish(stub(), Ctx().get(), "ok", std::string(2000, 'x'), &ack), "limit is 1024");
  expect_invalid(Publish(stub(), Ctx().get(), "ok", "x", &ack, "a|b"), "message_id");
  expect_invalid(Publish(stub(), Ctx().get(), "ok", "x", &ack, std::string(65, 'm')), "message_id");
  {
    v1::PublishRequest request;
    request.set_room("ok");
    expect_invalid(stub().Publish(Ctx().get(), request, &ack), "payload is required");
  }
  {
    v1::GetHistoryRequest request;
    request.set_room("a.b");
    v1::GetHistoryResponse response;
    expect_invalid(stub().GetHistory(Ctx().get(), request, &response), "forbidden");
    request.set_room("eph:typing");
    expect_invalid(stub().GetHistory(Ctx().get(), request, &response), "no history");
  }
  {
    v1::BroadcastRequest request;
    request.mutable_payload()->set_text("x");
    v1::BroadcastResponse response;
    expect_invalid(stub().Broadcast(Ctx().get(), request, &response), "rooms is empty");
  }
  {
    v1::KickUserRequest request;
    v1::KickUserResponse response;
    expect_invalid(stub().KickUser(Ctx().get(), request, &response), "user_id is required");
  }
  {
    v1::GetPresenceRequest request;
    request.set_room("a b");
    v1::GetPresenceResponse response;
    expect_invalid(stub().GetPresence(Ctx().get(), request, &response), "forbidden");
  }
  {
    v1::WatchRequest request;
    request.set_room("a.b");
    auto ctx = Ctx();
    auto reader = stub().Watch(ctx.get(), request);
    v1::WatchEvent event;
    EXPECT_FALSE(reader->Read(&event));
    expect_invalid(reader->Finish(), "forbidden");
  }
}

TEST_F(ControlServiceTest, GetHistoryAfterAnOffsetAndLatest) {
  StartAll();
  std::vector<uint64_t> offsets;
  for (int i = 0; i < 5; ++i) {
    offsets.push_back(MustPublish("doc-1", absl::StrCat("m", i)).offset());
    MustPublish("doc-2", "noise");  // interleaved: offsets of doc-1 are not dense
  }

  v1::GetHistoryRequest request;
  request.set_room("doc-1");
  request.set_after_offset(offsets[0]);
  v1::GetHistoryResponse response;
  ASSERT_TRUE(stub().GetHistory(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.messages_size(), 4);
  for (int i = 0; i < 4; ++i) {
    const auto& m = response.messages(i);
    EXPECT_EQ(m.offset(), offsets[i + 1]);
    EXPECT_EQ(m.room(), "doc-1");
    EXPECT_EQ(m.payload().text(), absl::StrCat("m", i + 1));
    EXPECT_FALSE(m.message_id().empty());
    EXPECT_TRUE(m.sender().user_id().empty()) << "control-plane messages have no sender";
    EXPECT_GT(m.time().seconds(), 0);
  }
  EXPECT_EQ(response.latest_offset(), offsets.back());
  EXPECT_EQ(response.earliest_offset(), offsets.front());

  request.set_limit(2);
  response.Clear();
  ASSERT_TRUE(stub().GetHistory(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.messages_size(), 2);
  EXPECT_EQ(response.messages(1).offset(), offsets[2]);

  v1::GetHistoryRequest latest;
  latest.set_room("doc-1");
  latest.set_latest(true);
  latest.set_limit(3);
  response.Clear();
  ASSERT_TRUE(stub().GetHistory(Ctx().get(), latest, &response).ok());
  ASSERT_EQ(response.messages_size(), 3);
  EXPECT_EQ(response.messages(0).offset(), offsets[2]);
  EXPECT_EQ(response.messages(2).offset(), offsets[4]);

  v1::GetHistoryRequest empty;
  empty.set_room("never-used");
  response.Clear();
  ASSERT_TRUE(stub().GetHistory(Ctx().get(), empty, &response).ok());
  EXPECT_EQ(response.messages_size(), 0);
  EXPECT_EQ(response.latest_offset(), 0u);
  EXPECT_EQ(response.earliest_offset(), 0u);
}

TEST_F(ControlServiceTest, BroadcastReportsEachRoom) {
  StartAll();
  v1::BroadcastRequest request;
  request.add_rooms("news");
  request.add_rooms("bad.room");
  request.add_rooms("eph:ticker");
  request.add_rooms("sports");
  request.set_message_id("bulletin-1");
  request.mutable_payload()->set_text("breaking");
  v1::BroadcastResponse response;
  ASSERT_TRUE(stub().Broadcast(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_GT(response.results(0).ack().offset(), 0u);
  EXPECT_TRUE(absl::StrContains(response.results(1).error(), "forbidden")) << response.results(1).error();
  EXPECT_TRUE(response.results(2).has_ack());
  EXPECT_EQ(response.results(2).ack().offset(), 0u);
  EXPECT_GT(response.results(3).ack().offset(), response.results(0).ack().offset());

  // Retried as a whole: every persisted room reports a duplicate.
  v1::BroadcastResponse retry;
  ASSERT_TRUE(stub().Broadcast(Ctx().get(), request, &retry).ok());
  EXPECT_TRUE(retry.results(0).ack().duplicate());
  EXPECT_EQ(retry.results(0).ack().offset(), response.results(0).ack().offset());
  EXPECT_TRUE(retry.results(3).ack().duplicate());
}

TEST_F(ControlServiceTest, WatchReplaysThenStreamsLiveWithoutGapsOrDuplicates) {
  StartAll();
  const uint64_t first = MustPublish("game-7", "move 1").offset();
  MustPublish("game-7", "move 2");

  v1::WatchRequest request;
  request.set_room("game-7");
  request.set_since_offset(first);
  auto ctx = Ctx(absl::Seconds(30));
  auto reader = stub().Watch(ctx.get(), request);

  std::vector<std::string> seen;
  uint64_t last = first;
  auto read_one = [&]() {
    v1::WatchEvent event;
    if (!reader->Read(&event)) return false;
    EXPECT_TRUE(event.has_message());
    EXPECT_GT(event.message().offset(), last) << "offsets strictly increase";
    last = event.message().offset();
    seen.push_back(event.message().payload().text());
    return true;
  };
  ASSERT_TRUE(read_one());
  EXPECT_EQ(seen.back(), "move 2");  // replayed
  for (int i = 3; i <= 6; ++i) {
    MustPublish("game-7", absl::StrCat("move ", i));
    MustPublish("other-game", "noise");
    ASSERT_TRUE(read_one());
    EXPECT_EQ(seen.back(), absl::StrCat("move ", i));
  }
  ctx->TryCancel();
  v1::WatchEvent event;
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// Live-only watches have no replay to synchronise on: publish probes until the
// watcher sees one, from another thread, so Read never races the subscription.
TEST_F(ControlServiceTest, WatchStreamsLivePublishesInPersistedAndEphemeralRooms) {
  StartAll();
  for (const std::string room : {"live-room", "eph:live"}) {
    SCOPED_TRACE(room);
    v1::WatchRequest request;
    request.set_room(room);
    auto ctx = Ctx(absl::Seconds(30));
    auto reader = stub().Watch(ctx.get(), request);
    std::atomic<bool> seen{false};
    std::thread prober([&] {
      while (!seen.load()) {
        v1::PublishResponse ack;
        Publish(stub(), Ctx().get(), room, "probe", &ack);
        WaitFor([&] { return seen.load(); }, absl::Milliseconds(100));
      }
    });
    v1::WatchEvent event;
    const bool got = reader->Read(&event);
    seen = true;
    prober.join();
    ASSERT_TRUE(got);
    ASSERT_TRUE(event.has_message());
    EXPECT_EQ(event.message().room(), room);
    EXPECT_EQ(event.message().payload().text(), "probe");
    if (room == "eph:live") {
      EXPECT_EQ(event.message().offset(), 0u);
    } else {
      EXPECT_GT(event.message().offset(), 0u);
    }
    ctx->TryCancel();
    while (reader->Read(&event)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
}

TEST_F(ControlServiceTest, WatchStreamsPresenceAndEphemeralEvents) {
  StartAll();
  // A plain NATS.c connection standing in for a gateway's.
  natsConnection* raw_nats = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&raw_nats, nats_->url().c_str()), NATS_OK);
  std::unique_ptr<natsConnection, void (*)(natsConnection*)> nats(raw_nats, &natsConnection_Destroy);
  const Subjects subjects("sb");

  v1::WatchRequest request;
  request.set_room("board");
  request.set_presence(true);
  auto ctx = Ctx(absl::Seconds(30));
  auto reader = stub().Watch(ctx.get(), request);

  // What a gateway publishes on sb.eph.board when alice joins, then types.
  switchboard::bus::v1::Publication join;
  join.set_room("board");
  join.mutable_presence()->set_room("board");
  join.mutable_presence()->set_change(switchboard::client::v1::PRESENCE_CHANGE_JOIN);
  join.mutable_presence()->mutable_info()->set_user_id("alice");
  switchboard::bus::v1::Publication typing;
  typing.set_room("board");
  typing.mutable_ephemeral()->set_type(switchboard::client::v1::EPHEMERAL_TYPE_TYPING);
  typing.mutable_sender()->set_user_id("alice");

  std::atomic<bool> done{false};
  std::thread prober([&] {
    const std::string subject = subjects.Ephemeral("board");
    while (!done.load()) {
      for (const auto* p : {&join, &typing}) {
        const std::string data = p->SerializeAsString();
        natsConnection_Publish(nats.get(), subject.c_str(), data.data(),
                               static_cast<int>(data.size()));
      }
      WaitFor([&] { return done.load(); }, absl::Milliseconds(100));
    }
  });
  bool saw_presence = false;
  bool saw_typing = false;
  v1::WatchEvent event;
  while ((!saw_presence || !saw_typing) && reader->Read(&event)) {
    if (event.has_presence()) {
      EXPECT_EQ(event.presence().info().user_id(), "alice");
      EXPECT_EQ(event.presence().change(), switchboard::client::v1::PRESENCE_CHANGE_JOIN);
      saw_presence = true;
    } else if (event.has_ephemeral()) {
      EXPECT_EQ(event.ephemeral().type(), switchboard::client::v1::EPHEMERAL_TYPE_TYPING);
      EXPECT_EQ(event.ephemeral().sender().user_id(), "alice");
      saw_typing = true;
    }
  }
  done = true;
  prober.join();
  EXPECT_TRUE(saw_presence);
  EXPECT_TRUE(saw_typing);
  ctx->TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

TEST_F(ControlServiceTest, ApiKeysAreRequiredWhenConfigured) {
  switchboard::testing::TempDir dir("control-keys");
  const std::string path = dir.path() + "/keys";
  {
    std::ofstream out(path);
    out << "# backend keys\n\nkey-backend-1\n  key-ops-2  \n";
  }
  StartAll([&](ControlOptions& o) { o.api_keys_file = path; });
  v1::PublishResponse ack;
  EXPECT_EQ(Publish(stub(), Ctx().get(), "room", "x", &ack).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Publish(stub(), Ctx(absl::Seconds(5), "wrong").get(), "room", "x", &ack).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Publish(stub(), Ctx(absl::Seconds(5), "key-backend-1").get(), "room", "x", &ack).ok());
  EXPECT_TRUE(Publish(stub(), Ctx(absl::Seconds(5), "key-ops-2").get(), "room", "x", &ack).ok());
  {
    auto ctx = Ctx(absl::Seconds(5), "# backend keys");
    EXPECT_EQ(Publish(stub(), ctx.get(), "room", "x", &ack).error_code(),
              grpc::StatusCode::UNAUTHENTICATED) << "comments are not keys";
  }
  {
    v1::WatchRequest request;
    request.set_room("room");
    auto ctx = Ctx();
    auto reader = stub().Watch(ctx.get(), request);
    v1::WatchEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    v1::GetInfoResponse info;
    EXPECT_EQ(stub().GetInfo(Ctx().get(), v1::GetInfoRequest(), &info).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(ControlServiceTest, NatsDownIsUnavailableAndRecovers) {
  // File storage: the stream must survive the NATS restart.
  StartAll([](ControlOptions& o) { o.stream.file_storage = true; });
  MustPublish("status", "before");
  ASSERT_TRUE(nats_->Stop().ok());

  grpc::Status publish_status;
  EXPECT_TRUE(WaitFor(
      [&] {
        v1::PublishResponse ack;
        publish_status = Publish(stub(), Ctx(absl::Seconds(3)).get(), "status", "during", &ack,
                                 "retry-me");
        return publish_status.error_code() == grpc::StatusCode::UNAVAILABLE;
      },
      absl::Seconds(15)))
      << publish_status.error_code() << " " << publish_status.error_message();
  v1::GetHistoryRequest history;
  history.set_room("status");
  v1::GetHistoryResponse response;
  EXPECT_EQ(stub().GetHistory(Ctx().get(), history, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Readiness follows NATS.c's disconnected callback, which it runs on a
  // thread of its own: possibly after the first failed call.
  int ready_status = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto ready = switchboard::testing::HttpGet(server_->admin_port(), "/readyz");
        ready_status = ready.ok() ? ready->status : -1;
        return ready_status == 503;
      },
      absl::Seconds(10)))
      << ready_status;

  ASSERT_TRUE(nats_->Restart().ok());
  // The retry with the same id is accepted once NATS is back.
  v1::PublishResponse ack;
  EXPECT_TRUE(WaitFor(
      [&] {
        return Publish(stub(), Ctx(absl::Seconds(3)).get(), "status", "during", &ack, "retry-me")
            .ok();
      },
      absl::Seconds(20)));
  EXPECT_GT(ack.offset(), 0u);
}

TEST_F(ControlServiceTest, MetricsCountCallsByMethodAndCode) {
  StartAll();
  MustPublish("m", "x");
  v1::PublishResponse ack;
  Publish(stub(), Ctx().get(), "bad.room", "x", &ack);
  auto metrics = switchboard::testing::HttpGet(server_->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(absl::StrContains(metrics->body,
                                "switchboard_control_rpcs_total{code=\"OK\",method=\"Publish\"} 1"))
      << metrics->body;
  EXPECT_TRUE(absl::StrContains(
      metrics->body, "switchboard_control_rpcs_total{code=\"INVALID_ARGUMENT\",method=\"Publish\"} 1"));
  EXPECT_TRUE(absl::StrContains(metrics->body,
                                "switchboard_control_rpc_duration_seconds_count{method=\"Publish\"} 2"));
}

}  // namespace
}  // namespace switchboard::control::testing
