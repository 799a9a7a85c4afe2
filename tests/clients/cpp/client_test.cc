#include "clients/cpp/client.h"

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "clients/cpp/message_util.h"
#include "clients/cpp/server_status.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/clients/cpp/fake_server.h"

namespace switchboard {
namespace client {
namespace {

using ::switchboard::client::testing::FakeServer;
using ::switchboard::client::v1::ClientFrame;
using ::switchboard::client::v1::Message;
using ::switchboard::client::v1::PublishAck;
using ::switchboard::client::v1::ServerFrame;

constexpr absl::Duration kWait = absl::Seconds(5);
using Placement = ClientOptions::TokenPlacement;

// The next room message in the push inbox, skipping other pushes.
std::optional<Message> NextMessage(Client& client,
                                   absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::optional<ServerFrame> push =
        client.NextPush(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!push.has_value()) return std::nullopt;
    if (push->has_message()) return push->message();
  }
}

// The next event of type T, skipping events of other types.
template <typename T>
std::optional<T> NextEventOf(Client& client, absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::optional<ClientEvent> event = client.NextEvent(
        std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!event.has_value()) return std::nullopt;
    if (auto* wanted = std::get_if<T>(&*event)) return *wanted;
  }
}

// A port on 127.0.0.1 where nothing listens (bound, then released).
int UnusedPort() {
  boost::asio::io_context io_context;
  boost::asio::ip::tcp::acceptor acceptor(
      io_context, boost::asio::ip::tcp::endpoint(
                      boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class ClientTest : public ::testing::TestWithParam<Format> {
 protected:
  ClientOptions Options(Placement placement = Placement::kHeader) const {
    ClientOptions options;
    options.port = server_.port();
    options.format = GetParam();
    options.token = "secret";
    options.token_placement = placement;
    options.connect_timeout = absl::Seconds(3);
    options.request_timeout = absl::Seconds(3);
    options.reconnect_backoff_base = absl::Milliseconds(10);
    options.reconnect_backoff_cap = absl::Milliseconds(100);
    return options;
  }

  ClientOptions ReconnectingOptions(Placement placement = Placement::kHeader) {
    ClientOptions options = Options(placement);
    options.auto_reconnect = true;
    return options;
  }

  bool Binary() const { return IsBinary(GetParam()); }

  FakeServer server_;
};

// --- Connecting --------------------------------------------------------------

TEST_P(ClientTest, ConnectsWithTokenInHeaderAndGetsPushedWelcome) {
  server_.RequireToken("secret");
  Client client(Options(Placement::kHeader));
  absl::StatusOr<v1::Welcome> welcome = client.Connect();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(welcome->user_id(), "user-1");
  EXPECT_EQ(welcome->session_id(), "session-1");
  EXPECT_TRUE(client.connected());

  std::vector<testing::UpgradeRecord> upgrades = server_.upgrades();
  ASSERT_EQ(upgrades.size(), 1u);
  EXPECT_EQ(upgrades[0].target, "/ws");
  EXPECT_EQ(upgrades[0].authorization, "Bearer secret");
  EXPECT_EQ(upgrades[0].offered_subprotocols, SubprotocolName(GetParam()));
  EXPECT_EQ(upgrades[0].selected_subprotocol, SubprotocolName(GetParam()));
  // The Ping reply proves the server read everything sent before it.
  ASSERT_TRUE(client.Ping().ok());
  for (const FakeServer::Frame& frame : server_.frames()) {
    EXPECT_FALSE(frame.frame.has_connect());
  }
}

TEST_P(ClientTest, ConnectsWithTokenInQuery) {
  server_.RequireToken("secret");
  ClientOptions options = Options(Placement::kQuery);
  options.path = "/ws";
  options.origin = "https://app.example";
  Client client(options);
  ASSERT_TRUE(client.Connect().ok());
  std::vector<testing::UpgradeRecord> upgrades = server_.upgrades();
  ASSERT_EQ(upgrades.size(), 1u);
  EXPECT_EQ(upgrades[0].target, "/ws?token=secret");
  EXPECT_EQ(upgrades[0].authorization, "");
  EXPECT_EQ(upgrades[0].origin, "https://app.example");
}

TEST_P(ClientTest, ConnectsWithTokenInConnectFrame) {
  server_.RequireToken("secret");
  ClientOptions options = Options(Placement::kConnectFrame);
  options.client_name = "test/1";
  Client client(options);
  absl::StatusOr<v1::Welcome> welcome = client.Connect();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(welcome->session_id(), "session-1");

  std::optional<FakeServer::Frame> connect = server_.WaitForFrame(
      [](const FakeServer::Frame& f) { return f.frame.has_connect(); }, kWait);
  ASSERT_TRUE(connect.has_value());
  EXPECT_NE(connect->frame.id(), 0u);
  EXPECT_EQ(connect->frame.connect().token(), "secret");
  EXPECT_EQ(connect->frame.connect().client(), "test/1");
  EXPECT_EQ(connect->frame.connect().session_id(), "");
  EXPECT_EQ(server_.upgrades()[0].authorization, "");
}

TEST_P(ClientTest, WrongTokenInConnectFrameIsUnauthenticatedWithCloseCode) {
  server_.RequireToken("secret");
  ClientOptions options = Options(Placement::kConnectFrame);
  options.token = "forged";
  Client client(options);
  absl::StatusOr<v1::Welcome> welcome = client.Connect();
  ASSERT_EQ(welcome.status().code(), absl::StatusCode::kUnauthenticated)
      << welcome.status();
  EXPECT_EQ(welcome.status().message(), "bad token");
  EXPECT_EQ(ErrorCodeOf(welcome.status()), v1::ERROR_CODE_UNAUTHENTICATED);
  std::optional<CloseInfo> close = client.WaitForClose(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, v1::CLOSE_CODE_UNAUTHENTICATED);
  EXPECT_FALSE(client.connected());
}

TEST_P(ClientTest, WrongTokenInHeaderIsUnauthenticated) {
  server_.RequireToken("secret");
  ClientOptions options = Options(Placement::kHeader);
  options.token = "forged";
  Client client(options);
  absl::StatusOr<v1::Welcome> welcome = client.Connect();
  EXPECT_EQ(welcome.status().code(), absl::StatusCode::kUnauthenticated)
      << welcome.status();
  EXPECT_NE(welcome.status().message().find("401"), absl::string_view::npos);
}

TEST_P(ClientTest, DeclinedUpgradeIsUnavailable) {
  server_.DeclineUpgrades(503);
  Client client(Options());
  EXPECT_EQ(client.Connect().status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(ClientTest, RefusedConnectionIsUnavailable) {
  ClientOptions options = Options();
  options.port = UnusedPort();
  Client client(options);
  EXPECT_EQ(client.Connect().status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(ClientTest, ConnectTimesOutWithoutWelcome) {
  server_.WithholdWelcome(true);
  ClientOptions options = Options();
  options.connect_timeout = absl::Milliseconds(300);
  Client client(options);
  const absl::Time start = absl::Now();
  EXPECT_EQ(client.Connect().status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_P(ClientTest, RefusesAServerThatSelectsAnotherSubprotocol) {
  server_.ForceSubprotocol("chat");
  Client client(Options());
  EXPECT_EQ(client.Connect().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(ClientTest, ConnectTwiceIsAnError) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  EXPECT_EQ(client.Connect().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// --- Rooms and messages ------------------------------------------------------

TEST_P(ClientTest, JoinPublishAndReceiveEveryPayloadKind) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  absl::StatusOr<v1::Joined> joined = client.Join("room-a");
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->room(), "room-a");
  EXPECT_EQ(joined->offset(), 0u);
  EXPECT_EQ(joined->kind(), v1::ROOM_KIND_PERSISTED);

  absl::StatusOr<v1::Payload> json = JsonPayload(R"({"a":[1,2],"b":"x"})");
  ASSERT_TRUE(json.ok());
  std::vector<v1::Payload> payloads = {
      TextPayload("hello"), BinaryPayload(std::string("\0\xff\x01", 3)), *json};
  std::vector<PublishAck> acks;
  for (const v1::Payload& payload : payloads) {
    absl::StatusOr<PublishAck> ack = client.Publish("room-a", payload);
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->room(), "room-a");
    EXPECT_FALSE(ack->duplicate());
    EXPECT_EQ(ack->message_id().size(), 36u);  // a generated UUID
    acks.push_back(*ack);
  }
  for (size_t i = 0; i < payloads.size(); ++i) {
    std::optional<Message> message = NextMessage(client);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->room(), "room-a");
    EXPECT_EQ(message->offset(), acks[i].offset());
    EXPECT_EQ(message->message_id(), acks[i].message_id());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        message->payload(), payloads[i]))
        << message->payload().DebugString();
  }
  EXPECT_EQ(client.stats().messages, 3u);
  EXPECT_EQ(client.LastOffset("room-a"), acks.back().offset());
  EXPECT_EQ(client.JoinedRooms(), std::vector<std::string>{"room-a"});
}

TEST_P(ClientTest, PublishWithTheSameMessageIdIsAcceptedOnce) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-a").ok());
  absl::StatusOr<PublishAck> first =
      client.Publish("room-a", TextPayload("x"), "m-1");
  absl::StatusOr<PublishAck> second =
      client.Publish("room-a", TextPayload("x"), "m-1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->duplicate());
  EXPECT_TRUE(second->duplicate());
  EXPECT_EQ(first->offset(), second->offset());
  EXPECT_EQ(second->message_id(), "m-1");
  ASSERT_TRUE(NextMessage(client).has_value());
  ASSERT_TRUE(client.Ping().ok());
  EXPECT_FALSE(NextMessage(client, absl::ZeroDuration()).has_value());
}

TEST_P(ClientTest, JoinWithSinceOffsetOrHistoryReplays) {
  std::vector<uint64_t> offsets;
  for (const char* text : {"one", "two", "three"}) {
    offsets.push_back(server_.AppendMessage("room-h", TextPayload(text)));
  }
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  JoinOptions resume;
  resume.since_offset = offsets[0];
  absl::StatusOr<v1::Joined> joined = client.Join("room-h", resume);
  ASSERT_TRUE(joined.ok());
  EXPECT_TRUE(joined->recovered());
  EXPECT_EQ(joined->offset(), offsets[2]);
  EXPECT_EQ(NextMessage(client)->payload().text(), "two");
  EXPECT_EQ(NextMessage(client)->payload().text(), "three");

  Client history_client(Options());
  ASSERT_TRUE(history_client.Connect().ok());
  JoinOptions history;
  history.history_limit = 2;
  ASSERT_TRUE(history_client.Join("room-h", history).ok());
  EXPECT_EQ(NextMessage(history_client)->offset(), offsets[1]);
  EXPECT_EQ(NextMessage(history_client)->offset(), offsets[2]);
  EXPECT_EQ(history_client.LastOffset("room-h"), offsets[2]);
}

TEST_P(ClientTest, LeaveStopsDeliveryAndTracking) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-a").ok());
  ASSERT_TRUE(client.Leave("room-a").ok());
  EXPECT_TRUE(client.JoinedRooms().empty());
  server_.AppendMessage("room-a", TextPayload("after leave"));
  ASSERT_TRUE(client.Ping().ok());
  EXPECT_FALSE(NextMessage(client, absl::ZeroDuration()).has_value());
}

TEST_P(ClientTest, ServerErrorsBecomeStatusesWithTheirErrorCode) {
  server_.SetHook(
      [](int, const ClientFrame& frame, std::vector<ServerFrame>* replies) {
        ServerFrame reply;
        reply.set_id(frame.id());
        v1::Error* error = reply.mutable_error();
        if (frame.has_join() && frame.join().room() == "forbidden") {
          error->set_code(v1::ERROR_CODE_PERMISSION_DENIED);
          error->set_message("not allowed here");
        } else if (frame.has_join() && frame.join().room() == "bad") {
          error->set_code(v1::ERROR_CODE_INVALID_ROOM);
          error->set_message("bad room name");
        } else if (frame.has_publish()) {
          error->set_code(v1::ERROR_CODE_RATE_LIMITED);
          error->set_message("slow down");
          error->mutable_retry_after()->set_seconds(2);
        } else {
          return false;
        }
        replies->push_back(reply);
        return true;
      });
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());

  absl::Status denied = client.Join("forbidden").status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "not allowed here");
  EXPECT_EQ(ErrorCodeOf(denied), v1::ERROR_CODE_PERMISSION_DENIED);

  absl::Status invalid = client.Join("bad").status();
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(invalid), v1::ERROR_CODE_INVALID_ROOM);
  EXPECT_TRUE(client.JoinedRooms().empty());

  absl::Status limited = client.Publish("room-a", TextPayload("x")).status();
  EXPECT_EQ(limited.code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(ServerErrorOf(limited).has_value());
  EXPECT_EQ(ServerErrorOf(limited)->retry_after().seconds(), 2);
}

TEST_P(ClientTest, PushesReachTheInboxesAndTheCallbacks) {
  // Declared before the client: its callbacks use them until it is gone.
  absl::Mutex mu;
  std::vector<std::string> seen;
  Client client(Options());
  client.OnMessage([&](const Message& message) {
    absl::MutexLock lock(&mu);
    seen.push_back("message:" + message.payload().text());
  });
  client.OnEvent([&](const ClientEvent& event) {
    if (const auto* frame = std::get_if<ServerFrame>(&event)) {
      absl::MutexLock lock(&mu);
      seen.push_back("frame:" + std::to_string(frame->kind_case()));
    }
  });
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-a").ok());

  ServerFrame ephemeral;
  ephemeral.mutable_ephemeral()->set_room("room-a");
  ephemeral.mutable_ephemeral()->set_type(v1::EPHEMERAL_TYPE_TYPING);
  ServerFrame presence;
  presence.mutable_presence()->set_room("room-a");
  presence.mutable_presence()->set_change(v1::PRESENCE_CHANGE_JOIN);
  presence.mutable_presence()->mutable_info()->set_user_id("user-2");
  server_.Push(1, ephemeral);
  server_.Push(1, presence);
  server_.AppendMessage("room-a", TextPayload("hi"));

  std::optional<ServerFrame> first = client.NextPush(kWait);
  std::optional<ServerFrame> second = client.NextPush(kWait);
  std::optional<ServerFrame> third = client.NextPush(kWait);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->ephemeral().type(), v1::EPHEMERAL_TYPE_TYPING);
  EXPECT_EQ(second->presence().info().user_id(), "user-2");
  EXPECT_EQ(third->message().payload().text(), "hi");

  std::optional<ClientEvent> event = client.NextEvent(kWait);
  ASSERT_TRUE(event.has_value());
  ASSERT_TRUE(std::holds_alternative<ServerFrame>(*event));
  EXPECT_TRUE(std::get<ServerFrame>(*event).has_ephemeral());

  // A frame reaches the inbox just before its callback runs.
  absl::MutexLock lock(&mu);
  auto all_seen = [&seen]() { return seen.size() >= 3; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_seen), kWait));
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "frame:" + std::to_string(ServerFrame::kEphemeral),
                      "frame:" + std::to_string(ServerFrame::kPresence),
                      "message:hi"}));
}

TEST_P(ClientTest, BatchesAreUnpackedAndDuplicatesDropped) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-b").ok());  // empty room: resumes after 0
  ServerFrame batch;
  for (uint64_t offset : {5, 6, 6, 7}) {
    Message* message = batch.mutable_batch()->add_messages();
    message->set_room("room-b");
    message->set_offset(offset);
  }
  server_.Push(1, batch);
  ServerFrame stale;
  stale.mutable_message()->set_room("room-b");
  stale.mutable_message()->set_offset(6);
  server_.Push(1, stale);
  for (uint64_t expected : {5, 6, 7}) {
    std::optional<Message> message = NextMessage(client);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->offset(), expected);
  }
  ASSERT_TRUE(client.Ping().ok());
  EXPECT_FALSE(NextMessage(client, absl::ZeroDuration()).has_value());
  EXPECT_EQ(client.stats().messages, 3u);
  EXPECT_EQ(client.stats().duplicates_dropped, 2u);
  EXPECT_EQ(client.LastOffset("room-b"), 7u);
}

TEST_P(ClientTest, EphemeralEventsReachOtherMembers) {
  Client alice(Options());
  Client bob(Options());
  ASSERT_TRUE(alice.Connect().ok());
  ASSERT_TRUE(bob.Connect().ok());
  ASSERT_TRUE(alice.Join("eph:cursors").ok());
  ASSERT_TRUE(bob.Join("eph:cursors").ok());
  ASSERT_TRUE(alice
                  .SendEphemeral("eph:cursors", v1::EPHEMERAL_TYPE_CUSTOM,
                                 TextPayload("10,20"), "cursor")
                  .ok());
  std::optional<ServerFrame> push = bob.NextPush(kWait);
  ASSERT_TRUE(push.has_value());
  EXPECT_EQ(push->ephemeral().name(), "cursor");
  EXPECT_EQ(push->ephemeral().payload().text(), "10,20");
}

TEST_P(ClientTest, PingGetsPongAndTimesOutWithoutReply) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  absl::StatusOr<v1::Pong> pong = client.Ping();
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_GT(pong->server_time().seconds(), 0);

  server_.SetHook([](int, const ClientFrame& frame, std::vector<ServerFrame>*) {
    return frame.has_ping();  // swallowed: no reply at all
  });
  ClientOptions options = Options();
  options.request_timeout = absl::Milliseconds(200);
  Client impatient(options);
  ASSERT_TRUE(impatient.Connect().ok());
  EXPECT_EQ(impatient.Ping().status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_P(ClientTest, RequestReturnsAnyReplyFrame) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  ClientFrame query;
  query.mutable_presence_query()->set_room("room-a");
  absl::StatusOr<ServerFrame> reply = client.Request(query);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ErrorCodeOf(reply.status()), v1::ERROR_CODE_UNSUPPORTED);
}

// --- Bad input and closing ---------------------------------------------------

TEST_P(ClientTest, SendRawDeliversArbitraryBytes) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  // Text frames must stay valid UTF-8, or the WebSocket layer itself closes.
  const std::string garbage = Binary() ? "\x08\x01\xff garbage" : "{not json";
  ASSERT_TRUE(client.SendRaw(garbage, Binary()).ok());
  ASSERT_TRUE(client.SendRaw("wrong opcode", !Binary()).ok());
  ASSERT_TRUE(server_.WaitForBadFrames(2, kWait));
  std::vector<FakeServer::BadFrame> bad = server_.bad_frames();
  EXPECT_EQ(bad[0].data, garbage);
  EXPECT_EQ(bad[0].binary, Binary());
  EXPECT_EQ(bad[1].binary, !Binary());
  // The fake answers each with a pushed BAD_REQUEST error.
  std::optional<ServerFrame> push = client.NextPush(kWait);
  ASSERT_TRUE(push.has_value());
  EXPECT_EQ(push->error().code(), v1::ERROR_CODE_BAD_REQUEST);
}

TEST_P(ClientTest, UndecodableServerFramesAreSkippedAndCounted) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  server_.SendRaw(1, Binary() ? "\xff\xff not a frame {" : "{not json",
                  Binary());
  server_.SendRaw(1, "wrong opcode", !Binary());
  ASSERT_TRUE(client.Ping().ok());  // still usable, and ordered after both
  EXPECT_EQ(client.stats().decode_errors, 2u);
  EXPECT_TRUE(client.connected());
}

TEST_P(ClientTest, ServerCloseCodeIsReportedAndNotRetriedWhenFinal) {
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-a").ok());
  server_.Close(1, v1::CLOSE_CODE_KICKED, "kicked by admin");
  std::optional<CloseInfo> close = client.WaitForClose(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, v1::CLOSE_CODE_KICKED);
  EXPECT_EQ(close->reason, "kicked by admin");
  EXPECT_FALSE(close->by_client);
  std::optional<Disconnected> disconnected = NextEventOf<Disconnected>(client);
  ASSERT_TRUE(disconnected.has_value());
  EXPECT_FALSE(disconnected->will_reconnect);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.Publish("room-a", TextPayload("x")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_.connections(), 1);
}

TEST_P(ClientTest, CloseSendsTheGivenCode) {
  Client client(Options());
  ASSERT_TRUE(client.Connect().ok());
  client.Close(4321);
  EXPECT_EQ(server_.WaitForClientClose(1, kWait), 4321);
  std::optional<CloseInfo> close = client.WaitForClose(kWait);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 4321);
  EXPECT_TRUE(close->by_client);
  EXPECT_FALSE(client.connected());
  // A closed client may connect again, as a new session.
  ASSERT_TRUE(client.Connect().ok());
  EXPECT_TRUE(client.JoinedRooms().empty());
}

TEST_P(ClientTest, PublishBeforeConnectFails) {
  Client client(Options());
  EXPECT_EQ(client.Publish("room-a", TextPayload("x")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.Join("room-a").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_P(ClientTest, BlockingCallsFromCallbacksFailInsteadOfDeadlocking) {
  std::promise<absl::Status> from_callback;
  std::atomic<bool> once{false};
  Client client(Options());
  client.OnMessage([&](const Message&) {
    if (!once.exchange(true)) from_callback.set_value(client.Ping().status());
  });
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-a").ok());
  server_.AppendMessage("room-a", TextPayload("x"));
  std::future<absl::Status> status = from_callback.get_future();
  ASSERT_EQ(status.wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  EXPECT_EQ(status.get().code(), absl::StatusCode::kFailedPrecondition);
}

// --- Reconnect, resume, outbox -----------------------------------------------

TEST_P(ClientTest, ReconnectsResumesRoomsAndSendsQueuedPublishes) {
  std::promise<absl::StatusOr<PublishAck>> queued;
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-r").ok());
  std::vector<uint64_t> offsets;
  for (const char* text : {"m1", "m2", "m3"}) {
    offsets.push_back(server_.AppendMessage("room-r", TextPayload(text)));
  }
  for (uint64_t offset : offsets) {
    std::optional<Message> message = NextMessage(client);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->offset(), offset);
  }
  EXPECT_EQ(client.LastOffset("room-r"), offsets[2]);

  // Drop the connection and keep the client out for a while.
  server_.DeclineUpgrades(503);
  server_.Drop(1);
  std::optional<Disconnected> disconnected = NextEventOf<Disconnected>(client);
  ASSERT_TRUE(disconnected.has_value());
  EXPECT_TRUE(disconnected->will_reconnect);
  EXPECT_EQ(disconnected->close.code, kCloseCodeAbnormal);
  std::optional<ReconnectFailed> failed = NextEventOf<ReconnectFailed>(client);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(failed->will_retry);
  EXPECT_FALSE(client.connected());

  // Published while disconnected: waits in the outbox.
  client.PublishAsync("room-r", TextPayload("queued"), "",
                      [&](absl::StatusOr<PublishAck> ack) {
                        queued.set_value(std::move(ack));
                      });
  // Missed while disconnected; the replay (one MessageBatch) also repeats two
  // old messages.
  offsets.push_back(server_.AppendMessage("room-r", TextPayload("m4")));
  offsets.push_back(server_.AppendMessage("room-r", TextPayload("m5")));
  server_.SetReplayOverlap(2);
  server_.SetBatchReplay(true);
  server_.DeclineUpgrades(0);

  ASSERT_TRUE(NextEventOf<Reconnected>(client).has_value());
  std::optional<Rejoined> rejoined = NextEventOf<Rejoined>(client);
  ASSERT_TRUE(rejoined.has_value());
  EXPECT_TRUE(rejoined->status.ok()) << rejoined->status;
  EXPECT_EQ(rejoined->room, "room-r");
  EXPECT_EQ(rejoined->since_offset, offsets[2]);
  EXPECT_TRUE(rejoined->recovered);

  std::future<absl::StatusOr<PublishAck>> ack = queued.get_future();
  ASSERT_EQ(ack.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  absl::StatusOr<PublishAck> acked = ack.get();
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_FALSE(acked->duplicate());

  // Exactly once, in order, no gap: m4, m5 (replayed), then "queued".
  EXPECT_EQ(NextMessage(client)->payload().text(), "m4");
  EXPECT_EQ(NextMessage(client)->payload().text(), "m5");
  std::optional<Message> mine = NextMessage(client);
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->payload().text(), "queued");
  EXPECT_EQ(mine->offset(), acked->offset());
  ASSERT_TRUE(client.Ping().ok());
  EXPECT_FALSE(NextMessage(client, absl::ZeroDuration()).has_value());

  Stats stats = client.stats();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.duplicates_dropped, 2u);
  EXPECT_EQ(stats.messages, 6u);

  // What went over the wire on the new connection.
  std::optional<FakeServer::Frame> connect = server_.WaitForFrame(
      [](const FakeServer::Frame& f) { return f.frame.has_connect(); }, kWait);
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(connect->frame.connect().session_id(), "session-1");
  EXPECT_EQ(connect->frame.connect().token(), "");  // it rides the header
  std::optional<FakeServer::Frame> rejoin = server_.WaitForFrame(
      [](const FakeServer::Frame& f) {
        return f.connection != 1 && f.frame.has_join();
      },
      kWait);
  ASSERT_TRUE(rejoin.has_value());
  EXPECT_EQ(rejoin->frame.join().since_offset(), offsets[2]);
  int publishes = 0;
  for (const FakeServer::Frame& frame : server_.frames()) {
    if (frame.frame.has_publish()) {
      ++publishes;
      EXPECT_EQ(frame.frame.publish().message_id(), acked->message_id());
    }
  }
  EXPECT_EQ(publishes, 1);
}

TEST_P(ClientTest, ResendsAnUnackedPublishWithTheSameMessageId) {
  std::atomic<bool> dropped_once{false};
  FakeServer* server = &server_;
  // The first publish is stored but its ack is lost with the connection.
  server_.SetHook([&, server](int connection, const ClientFrame& frame,
                              std::vector<ServerFrame>*) {
    if (frame.has_publish() && !dropped_once.exchange(true)) {
      server->Drop(connection);
    }
    return false;
  });
  Client client(ReconnectingOptions(Placement::kConnectFrame));
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-p").ok());
  absl::StatusOr<PublishAck> ack =
      client.Publish("room-p", TextPayload("once"));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_TRUE(ack->duplicate());  // the retry hit the dedupe window

  std::vector<std::string> ids;
  for (const FakeServer::Frame& frame : server_.frames()) {
    if (frame.frame.has_publish()) {
      ids.push_back(frame.frame.publish().message_id());
    }
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[0], ack->message_id());

  // The message itself arrives once, through the resume replay.
  std::optional<Message> message = NextMessage(client);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->payload().text(), "once");
  ASSERT_TRUE(client.Ping().ok());
  EXPECT_FALSE(NextMessage(client, absl::ZeroDuration()).has_value());
}

TEST_P(ClientTest, ReportsARejoinThatCouldNotRecover) {
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-n").ok());
  server_.SetRecovered(false);
  server_.Drop(1);
  std::optional<Rejoined> rejoined = NextEventOf<Rejoined>(client);
  ASSERT_TRUE(rejoined.has_value());
  EXPECT_TRUE(rejoined->status.ok());
  EXPECT_EQ(rejoined->since_offset, 0u);
  EXPECT_FALSE(rejoined->recovered);
}

TEST_P(ClientTest, HonoursTheGoingAwayDelay) {
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  ServerFrame going_away;
  going_away.mutable_going_away()->set_reason("draining");
  going_away.mutable_going_away()->mutable_reconnect_after()->set_nanos(
      400 * 1000 * 1000);
  server_.Push(1, going_away);
  server_.Close(1, v1::CLOSE_CODE_GOING_AWAY, "draining");
  std::optional<CloseInfo> close = client.WaitForClose(kWait);
  ASSERT_TRUE(close.has_value());
  const absl::Time closed = absl::Now();
  EXPECT_EQ(close->code, v1::CLOSE_CODE_GOING_AWAY);
  std::optional<Disconnected> disconnected = NextEventOf<Disconnected>(client);
  ASSERT_TRUE(disconnected.has_value());
  EXPECT_TRUE(disconnected->will_reconnect);
  EXPECT_EQ(disconnected->reconnect_in, absl::Milliseconds(400));
  ASSERT_TRUE(NextEventOf<Reconnected>(client).has_value());
  // Asio timers never fire early; the margin covers when `closed` was taken.
  EXPECT_GE(absl::Now() - closed, absl::Milliseconds(300));
  std::optional<ServerFrame> push = client.NextPush(kWait);
  ASSERT_TRUE(push.has_value());
  EXPECT_EQ(push->going_away().reason(), "draining");
}

TEST_P(ClientTest, QueuedPublishFailsAfterRequestTimeout) {
  ClientOptions options = ReconnectingOptions();
  options.request_timeout = absl::Milliseconds(300);
  Client client(options);
  ASSERT_TRUE(client.Connect().ok());
  server_.DeclineUpgrades(503);
  server_.Drop(1);
  ASSERT_TRUE(NextEventOf<Disconnected>(client).has_value());
  const absl::Time start = absl::Now();
  absl::StatusOr<PublishAck> ack = client.Publish("room-a", TextPayload("x"));
  EXPECT_EQ(ack.status().code(), absl::StatusCode::kDeadlineExceeded)
      << ack.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
}

TEST_P(ClientTest, GivesUpWhenReconnectCannotSucceed) {
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  server_.DeclineUpgrades(401);
  server_.Drop(1);
  std::optional<ReconnectFailed> failed = NextEventOf<ReconnectFailed>(client);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(failed->will_retry);
  EXPECT_EQ(client.Publish("room-a", TextPayload("x")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(ClientTest, StopsAfterMaxReconnectAttempts) {
  ClientOptions options = ReconnectingOptions();
  options.max_reconnect_attempts = 2;
  Client client(options);
  ASSERT_TRUE(client.Connect().ok());
  server_.DeclineUpgrades(503);
  server_.Drop(1);
  std::optional<ReconnectFailed> first = NextEventOf<ReconnectFailed>(client);
  std::optional<ReconnectFailed> second = NextEventOf<ReconnectFailed>(client);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->will_retry);
  EXPECT_EQ(second->attempt, 2);
  EXPECT_FALSE(second->will_retry);
}

// --- Fate unknown: the dedupe window --------------------------------------

// The gateway goes away for this long after the first send of a publish, so
// the reconnect's flush comes at least this long after that first send.
constexpr absl::Duration kAway = absl::Milliseconds(700);
// Resend limit 540 ms: shorter than kAway.
constexpr absl::Duration kShortWindow = absl::Milliseconds(600);

// The publish's result and the Publish frames the fake saw with its id.
struct GoAwayOutcome {
  absl::StatusOr<PublishAck> ack;
  int sends = 0;
};

// Publishes "maybe" under `message_id` to "room-f". The fake withholds the ack
// of its first send (it may or may not have been stored), pushes GoingAway
// with reconnect_after = kAway and closes; the client reconnects after kAway.
GoAwayOutcome PublishThenGoAway(FakeServer& server, Client& client,
                                const std::string& message_id) {
  auto swallowed = std::make_shared<std::atomic<bool>>(false);
  FakeServer* fake = &server;
  server.SetHook([fake, swallowed, message_id](int connection,
                                               const ClientFrame& frame,
                                               std::vector<ServerFrame>*) {
    if (!frame.has_publish() || frame.publish().message_id() != message_id ||
        swallowed->exchange(true)) {
      return false;
    }
    ServerFrame going_away;
    going_away.mutable_going_away()->set_reason("draining");
    going_away.mutable_going_away()->mutable_reconnect_after()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(kAway)));
    fake->Push(connection, going_away);
    fake->Close(connection, v1::CLOSE_CODE_GOING_AWAY, "draining");
    return true;  // no ack
  });
  GoAwayOutcome outcome;
  outcome.ack = client.Publish("room-f", TextPayload("maybe"), message_id);
  // The Pong proves the fake read everything the client sent before it.
  EXPECT_TRUE(client.Ping().ok());
  for (const FakeServer::Frame& frame : server.frames()) {
    if (frame.frame.has_publish() &&
        frame.frame.publish().message_id() == message_id) {
      ++outcome.sends;
    }
  }
  return outcome;
}

TEST_P(ClientTest, UnackedPublishOlderThanTheWindowIsNotResentButReported) {
  // The reconnect's Welcome decides, not the first one.
  server_.SetDedupeWindow(absl::Minutes(1));
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.Join("room-f").ok());
  server_.SetDedupeWindow(kShortWindow);
  const absl::Time before = absl::Now();

  GoAwayOutcome outcome = PublishThenGoAway(server_, client, "id-old");
  EXPECT_EQ(outcome.ack.status().code(), absl::StatusCode::kAborted)
      << outcome.ack.status();
  EXPECT_TRUE(IsFateUnknown(outcome.ack.status())) << outcome.ack.status();
  EXPECT_TRUE(absl::StrContains(outcome.ack.status().message(), "id-old"));
  EXPECT_EQ(outcome.sends, 1);  // never resent under its id

  std::optional<FateUnknown> fate = NextEventOf<FateUnknown>(client);
  ASSERT_TRUE(fate.has_value());
  EXPECT_EQ(fate->room, "room-f");
  EXPECT_EQ(fate->message_id, "id-old");
  EXPECT_EQ(fate->payload.text(), "maybe");
  EXPECT_EQ(fate->status, outcome.ack.status());
  EXPECT_GE(fate->first_sent, before);
  EXPECT_LE(fate->first_sent, absl::Now() - kAway);

  // What the app does next: not in the room, so publish it under a new id.
  absl::StatusOr<PublishAck> again =
      client.Publish("room-f", fate->payload, "id-new");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate());
  std::optional<Message> message = NextMessage(client);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->message_id(), "id-new");
}

TEST_P(ClientTest, UnackedPublishWithinTheWindowIsResentWithTheSameId) {
  server_.SetDedupeWindow(absl::Minutes(1));
  ClientOptions options = ReconnectingOptions();
  options.dedupe_window = kShortWindow;  // the Welcome's window wins
  Client client(options);
  ASSERT_TRUE(client.Connect().ok());

  GoAwayOutcome outcome = PublishThenGoAway(server_, client, "id-young");
  ASSERT_TRUE(outcome.ack.ok()) << outcome.ack.status();
  EXPECT_EQ(outcome.ack->message_id(), "id-young");
  EXPECT_FALSE(outcome.ack->duplicate());  // the first send was not stored
  EXPECT_EQ(outcome.sends, 2);
  EXPECT_FALSE(NextEventOf<FateUnknown>(client, absl::ZeroDuration()));
}

TEST_P(ClientTest, WithoutAWindowInWelcomeTheOptionDecides) {
  // Absent, then zero: both mean "not announced".
  for (std::optional<absl::Duration> announced :
       {std::optional<absl::Duration>(), std::optional(absl::ZeroDuration())}) {
    SCOPED_TRACE(announced.has_value() ? "zero" : "absent");
    server_.SetDedupeWindow(announced);
    ClientOptions options = ReconnectingOptions();
    options.dedupe_window = kShortWindow;
    Client client(options);
    ASSERT_TRUE(client.Connect().ok());
    const std::string id = announced.has_value() ? "id-zero" : "id-absent";
    GoAwayOutcome outcome = PublishThenGoAway(server_, client, id);
    EXPECT_TRUE(IsFateUnknown(outcome.ack.status())) << outcome.ack.status();
    EXPECT_EQ(outcome.sends, 1);
    std::optional<FateUnknown> fate = NextEventOf<FateUnknown>(client);
    ASSERT_TRUE(fate.has_value());
    EXPECT_EQ(fate->message_id, id);
  }
}

TEST_P(ClientTest, WithoutAWindowAnywhereTwoMinutesAreAssumed) {
  EXPECT_EQ(ClientOptions().dedupe_window, absl::Minutes(2));
  Client client(ReconnectingOptions());
  ASSERT_TRUE(client.Connect().ok());
  GoAwayOutcome outcome = PublishThenGoAway(server_, client, "id-default");
  ASSERT_TRUE(outcome.ack.ok()) << outcome.ack.status();
  EXPECT_EQ(outcome.sends, 2);
}

INSTANTIATE_TEST_SUITE_P(BothFormats, ClientTest,
                         ::testing::Values(Format::kProtobuf, Format::kJson),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return std::string(FormatName(info.param));
                         });

}  // namespace
}  // namespace client
}  // namespace switchboard
