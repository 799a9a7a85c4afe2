// The tail check of Watch streams after the control process's NATS connection
// comes back (WatchRegistry), against a real nats-server and a real control
// server over gRPC. Messages republished while the control was cut off never
// reach it; with nothing published afterwards, only the tail check can tell a
// since_offset watcher that it missed them.
#include "control/watch_registry.h"

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/subjects.h"
#include "gtest/gtest.h"
#include "proto/switchboard/bus/v1/bus.pb.h"
#include "tests/control/control_test_base.h"
#include "tests/testing/http_get.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/wait.h"

namespace switchboard::control::testing {
namespace {

namespace v1 = switchboard::control::v1;
using ::switchboard::testing::WaitFor;

constexpr absl::Duration kDeadline = absl::Seconds(30);

class WatchRegistryTest : public ControlTestBase {
 protected:
  void TearDown() override {
    ControlTestBase::TearDown();
    proxy_.reset();
  }

  // NATS first, then a proxy the test can cut, then the control server
  // connected through it. File storage: the stream survives a NATS restart.
  void StartBehindProxy() {
    auto nats = switchboard::testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    auto proxy = switchboard::testing::TcpProxy::Start(nats_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    StartAll([&](ControlOptions& o) {
      o.nats.urls = absl::StrCat("nats://127.0.0.1:", proxy_->port());
      o.stream.file_storage = true;
    });
  }

  // /readyz of the control server: 200 needs NATS (and the stream).
  int Readyz() {
    auto ready = switchboard::testing::HttpGet(server_->admin_port(), "/readyz");
    return ready.ok() ? ready->status : 0;
  }

  // Publishes straight to the stream, as a gateway would, on a connection of
  // the test's own; returns the offset.
  uint64_t PublishDirect(const std::string& room, const std::string& text) {
    natsConnection* nc = nullptr;
    EXPECT_EQ(natsConnection_ConnectTo(&nc, nats_->url().c_str()), NATS_OK);
    std::unique_ptr<natsConnection, void (*)(natsConnection*)> conn(nc, &natsConnection_Destroy);
    jsCtx* raw_js = nullptr;
    EXPECT_EQ(natsConnection_JetStream(&raw_js, nc, nullptr), NATS_OK);
    std::unique_ptr<jsCtx, void (*)(jsCtx*)> js(raw_js, &jsCtx_Destroy);
    switchboard::bus::v1::Publication publication;
    publication.set_room(room);
    publication.set_message_id(text);
    publication.mutable_payload()->set_text(text);
    const std::string data = publication.SerializeAsString();
    jsPubAck* ack = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    const natsStatus s = js_Publish(&ack, js.get(), Subjects("sb").Publish(room).c_str(),
                                    data.data(), static_cast<int>(data.size()), nullptr, &err);
    EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " " << err;
    const uint64_t offset = ack != nullptr ? ack->Sequence : 0;
    jsPubAck_Destroy(ack);
    return offset;
  }

  std::unique_ptr<switchboard::testing::TcpProxy> proxy_;
};

// Reads the next message event (skipping nothing: a Watch of a persisted room
// with no presence sends only messages).
bool ReadMessage(grpc::ClientReaderInterface<v1::WatchEvent>* reader, v1::WatchEvent* event) {
  if (!reader->Read(event)) return false;
  EXPECT_TRUE(event->has_message());
  return true;
}

TEST_F(WatchRegistryTest, MissedTailEndsSinceOffsetWatchWithAbortedAfterReconnect) {
  StartBehindProxy();
  const std::string room = "tail-missed";
  const uint64_t first = MustPublish(room, "one").offset();
  const uint64_t second = MustPublish(room, "two").offset();

  // A live-only watch of another room, seen working before the outage: it is
  // at-most-once and must stay open through it.
  const std::string live_room = "tail-live";
  v1::WatchRequest live_request;
  live_request.set_room(live_room);
  auto live_ctx = Ctx(kDeadline * 2);
  auto live = stub().Watch(live_ctx.get(), live_request);
  {
    std::atomic<bool> seen{false};
    std::thread prober([&] {
      while (!seen.load()) {
        MustPublish(live_room, "probe");
        WaitFor([&] { return seen.load(); }, absl::Milliseconds(100));
      }
    });
    v1::WatchEvent event;
    const bool got = ReadMessage(live.get(), &event);
    seen = true;
    prober.join();
    ASSERT_TRUE(got);
  }

  v1::WatchRequest request;
  request.set_room(room);
  request.set_since_offset(first);
  auto ctx = Ctx(kDeadline * 2);
  auto reader = stub().Watch(ctx.get(), request);
  v1::WatchEvent event;
  ASSERT_TRUE(ReadMessage(reader.get(), &event));
  EXPECT_EQ(event.message().offset(), second);
  ASSERT_TRUE(WaitFor([&] { return server_->watches().stats().registered == 1; }, kDeadline));

  // Control cut off; NATS itself restarts meanwhile; two messages are stored
  // (and republished to nobody the control hears) before the control is back.
  proxy_->Cut();
  ASSERT_TRUE(WaitFor([&] { return Readyz() == 503; }, kDeadline));
  ASSERT_TRUE(nats_->Stop().ok());
  ASSERT_TRUE(nats_->Restart().ok());
  const uint64_t third = PublishDirect(room, "three");
  EXPECT_GT(third, second);
  EXPECT_GT(PublishDirect(room, "four"), third);
  const absl::Time restored = absl::Now();
  proxy_->Restore();

  // Nothing more is published: the stream must end by itself, naming the
  // last offset it delivered, without sending three or four.
  while (reader->Read(&event)) {
    ADD_FAILURE() << "unexpected event after the outage: " << event.ShortDebugString();
  }
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), absl::StrCat("since_offset=", second)))
      << status.error_message();
  EXPECT_LT(absl::Now() - restored, absl::Seconds(20));
  // Counted once the check returns, which may be just after the stream ended.
  EXPECT_TRUE(WaitFor([&] { return server_->watches().stats().missed == 1; }, kDeadline));

  // The live-only watch was left alone and still delivers.
  ASSERT_TRUE(WaitFor([&] { return Readyz() == 200; }, kDeadline));
  MustPublish(live_room, "after");
  bool got_after = false;
  while (!got_after && ReadMessage(live.get(), &event)) {
    got_after = event.message().payload().text() == "after";
  }
  EXPECT_TRUE(got_after);
  live_ctx->TryCancel();
  while (live->Read(&event)) {
  }
  EXPECT_EQ(live->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(WatchRegistryTest, IntactTailKeepsSinceOffsetWatchOpenAcrossNatsRestart) {
  StartAll([](ControlOptions& o) { o.stream.file_storage = true; });
  const std::string room = "tail-intact";
  const uint64_t first = MustPublish(room, "one").offset();
  const uint64_t second = MustPublish(room, "two").offset();

  v1::WatchRequest request;
  request.set_room(room);
  request.set_since_offset(first);
  auto ctx = Ctx(kDeadline * 2);
  auto reader = stub().Watch(ctx.get(), request);
  v1::WatchEvent event;
  ASSERT_TRUE(ReadMessage(reader.get(), &event));
  EXPECT_EQ(event.message().offset(), second);
  ASSERT_TRUE(WaitFor([&] { return server_->watches().stats().registered == 1; }, kDeadline));
  const WatchRegistry::Stats before = server_->watches().stats();

  // A real restart: right after reconnecting, JetStream may not answer yet
  // and the check retries.
  ASSERT_TRUE(nats_->Stop().ok());
  ASSERT_TRUE(nats_->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return server_->watches().stats().intact > before.intact; },
                      kDeadline));
  const WatchRegistry::Stats after = server_->watches().stats();
  EXPECT_EQ(after.missed, 0u);
  EXPECT_EQ(after.unknown, 0u);

  // Still open, and the next message comes in order.
  v1::PublishResponse ack;
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::PublishRequest publish;
        publish.set_room(room);
        publish.set_message_id("three");
        publish.mutable_payload()->set_text("three");
        return stub().Publish(Ctx(absl::Seconds(3)).get(), publish, &ack).ok();
      },
      kDeadline));
  ASSERT_TRUE(ReadMessage(reader.get(), &event));
  EXPECT_EQ(event.message().offset(), ack.offset());
  EXPECT_EQ(event.message().payload().text(), "three");

  ctx->TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] { return server_->watches().stats().registered == 0; }, kDeadline));
}

}  // namespace
}  // namespace switchboard::control::testing
