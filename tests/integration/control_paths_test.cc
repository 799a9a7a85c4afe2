// Control-plane paths against real processes (nats-server, one gateway, one
// switchboard-control, all on free ports of 127.0.0.1): Disconnect of a live
// connection by its Welcome.connection_id (4007 to reconnect, 1000 to stop,
// NOT_FOUND for an id no gateway holds), a server-side Unsubscribe (a `Left`
// with the reason, counted in the response), a token that expires
// mid-session (4002 within the documented bound), and RefreshToken with a
// token that allows fewer rooms (`Left` for the others, the rest stays).
//
// And sbctl, the real binary (//tools/sbctl), run as a subprocess against the
// same processes: `watch` prints what is published to the room (replayed and
// live), `broadcast` exits 0 when every room succeeded and non-zero when one
// failed, `subscribe` / `unsubscribe` join and remove a user's connections
// (the client sees Joined and Left), `disconnect` closes a live connection and
// exits 1 with NOT_FOUND for an unknown one. (They live here rather than in a
// package of their own because the process fixtures of this package are
// visible to it only.)
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "clients/cpp/server_status.h"
#include "gtest/gtest.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/integration/control_process.h"
#include "tests/integration/gateway_process.h"
#include "tests/testing/nats_server.h"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
namespace ctl = switchboard::control::v1;
using switchboard::client::Client;
using switchboard::client::CloseInfo;
using switchboard::client::ErrorCodeOf;
using switchboard::client::TextPayload;
using testing::ControlProcess;
using testing::GatewayProcess;
using testing::Subprocess;
using testing::WaitFor;

// The gateway's --jwt_leeway here: short, so that an expiring token is
// closed soon, and not the default, so that the test sees the flag applied.
constexpr absl::Duration kLeeway = absl::Seconds(1);
// Deadlines (token expiry among them) are checked on every worker tick
// (docs/protocol.md §3.2, gateway/worker.cc).
constexpr absl::Duration kTick = absl::Milliseconds(250);
// Slack on top of documented bounds, for a loaded machine.
constexpr absl::Duration kSlack = absl::Seconds(3);
// How long a push that must come is waited for.
constexpr absl::Duration kPushWait = absl::Seconds(10);

class ControlPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
    auto gw = GatewayProcess::Start(
        nats_->url(), "gw-paths",
        {"--heartbeat_interval=250ms", absl::StrCat("--jwt_leeway=", absl::FormatDuration(kLeeway))});
    ASSERT_TRUE(gw.ok()) << gw.status();
    gw_ = std::move(*gw);
    // Started after the gateway: it loads the gateway directory from NATS
    // before it reports ready, so its commands wait for gw-paths.
    auto control = ControlProcess::Start(nats_->url(), "control-paths");
    ASSERT_TRUE(control.ok()) << control.status();
    control_ = std::move(*control);
    stub_ = control_->NewStub();
  }

  // A client of `user` allowed `rooms` (patterns), connected; its Welcome in
  // `welcome` when given.
  std::unique_ptr<Client> Connected(const std::string& user,
                                    std::vector<std::string> rooms = {"*"},
                                    absl::Duration ttl = absl::Hours(1),
                                    cv1::Welcome* welcome = nullptr) {
    auto client = std::make_unique<Client>(
        gw_->ClientOptionsFor(GatewayProcess::Token(user, std::move(rooms), std::nullopt, ttl)));
    absl::StatusOr<cv1::Welcome> w = client->Connect();
    EXPECT_TRUE(w.ok()) << user << ": " << w.status();
    if (w.ok() && welcome != nullptr) *welcome = *w;
    return client;
  }

  void ExpectJoined(Client& client, const std::string& room) {
    absl::StatusOr<cv1::Joined> joined = client.Join(room);
    EXPECT_TRUE(joined.ok()) << room << ": " << joined.status();
  }

  // The next push satisfying `match`, skipping others; nullopt if none
  // arrives within `timeout`.
  template <typename Match>
  static std::optional<cv1::ServerFrame> NextPushWhere(Client& client, Match match,
                                                       absl::Duration timeout = kPushWait) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::nullopt;
      std::optional<cv1::ServerFrame> push = client.NextPush(left);
      if (!push.has_value()) return std::nullopt;
      if (match(*push)) return push;
    }
  }

  static std::optional<cv1::ServerFrame> NextLeft(Client& client, const std::string& room) {
    return NextPushWhere(client, [&](const cv1::ServerFrame& f) {
      return f.has_left() && f.left().room() == room;
    });
  }

  static std::optional<cv1::ServerFrame> NextMessage(Client& client, const std::string& room,
                                                     const std::string& text) {
    return NextPushWhere(client, [&](const cv1::ServerFrame& f) {
      return f.has_message() && f.message().room() == room && f.message().payload().text() == text;
    });
  }

  grpc::Status Disconnect(const std::string& connection_id, bool reconnect,
                          const std::string& reason) {
    ctl::DisconnectRequest request;
    request.set_connection_id(connection_id);
    request.set_reconnect(reconnect);
    request.set_reason(reason);
    ctl::DisconnectResponse response;
    return stub_->Disconnect(ControlProcess::Context().get(), request, &response);
  }

  grpc::Status Unsubscribe(const std::string& user, const std::string& room,
                           const std::string& reason, ctl::UnsubscribeResponse* response) {
    ctl::UnsubscribeRequest request;
    request.set_user_id(user);
    request.set_room(room);
    request.set_reason(reason);
    return stub_->Unsubscribe(ControlProcess::Context().get(), request, response);
  }

  grpc::Status Publish(const std::string& room, const std::string& text,
                       uint64_t* offset = nullptr) {
    ctl::PublishRequest request;
    request.set_room(room);
    request.mutable_payload()->set_text(text);
    ctl::PublishResponse response;
    grpc::Status status = stub_->Publish(ControlProcess::Context().get(), request, &response);
    if (offset != nullptr) *offset = response.offset();
    return status;
  }

  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<GatewayProcess> gw_;
  std::unique_ptr<ControlProcess> control_;
  std::unique_ptr<ctl::ControlService::Stub> stub_;
};

TEST_F(ControlPathsTest, DisconnectWithReconnectClosesThatConnectionWith4007) {
  cv1::Welcome welcome;
  auto target = Connected("alice", {"*"}, absl::Hours(1), &welcome);
  auto other_tab = Connected("alice");
  ASSERT_FALSE(welcome.connection_id().empty());

  grpc::Status status = Disconnect(welcome.connection_id(), /*reconnect=*/true, "maintenance");
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();

  std::optional<CloseInfo> closed = target->WaitForClose(kPushWait);
  ASSERT_TRUE(closed.has_value()) << "Disconnect succeeded but the connection stayed open";
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_DISCONNECTED);
  EXPECT_EQ(closed->reason, "maintenance");
  EXPECT_FALSE(closed->by_client);
  // Only that connection: the same user's other one is untouched.
  EXPECT_TRUE(other_tab->Ping().ok());
  EXPECT_TRUE(other_tab->connected());
}

TEST_F(ControlPathsTest, DisconnectWithoutReconnectClosesWith1000) {
  cv1::Welcome welcome;
  auto target = Connected("bob", {"*"}, absl::Hours(1), &welcome);

  grpc::Status status = Disconnect(welcome.connection_id(), /*reconnect=*/false, "go home");
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();

  std::optional<CloseInfo> closed = target->WaitForClose(kPushWait);
  ASSERT_TRUE(closed.has_value()) << "Disconnect succeeded but the connection stayed open";
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_NORMAL);
  EXPECT_EQ(closed->reason, "go home");
  EXPECT_FALSE(closed->by_client);
}

TEST_F(ControlPathsTest, DisconnectOfAConnectionNoGatewayHoldsIsNotFound) {
  grpc::Status status = Disconnect("gw-paths-0-999999", /*reconnect=*/true, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "gw-paths-0-999999"))
      << status.error_message();

  // A connection that is already gone is not held either.
  cv1::Welcome welcome;
  auto carol = Connected("carol", {"*"}, absl::Hours(1), &welcome);
  ASSERT_TRUE(Disconnect(welcome.connection_id(), false, "first").ok());
  ASSERT_TRUE(carol->WaitForClose(kPushWait).has_value());
  status = Disconnect(welcome.connection_id(), false, "second");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

TEST_F(ControlPathsTest, UnsubscribeSendsLeftWithTheReasonAndCountsTheConnections) {
  const std::string room = "support-42";
  auto tab1 = Connected("dave");
  auto tab2 = Connected("dave");
  auto elsewhere = Connected("dave");  // not in the room: not counted
  auto erin = Connected("erin");       // another user: stays joined
  ExpectJoined(*tab1, room);
  ExpectJoined(*tab2, room);
  ExpectJoined(*elsewhere, "other-room");
  ExpectJoined(*erin, room);

  ctl::UnsubscribeResponse response;
  grpc::Status status = Unsubscribe("dave", room, "ticket closed", &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.connections(), 2u);

  for (Client* tab : {tab1.get(), tab2.get()}) {
    std::optional<cv1::ServerFrame> left = NextLeft(*tab, room);
    ASSERT_TRUE(left.has_value()) << "no Left for " << room << " after Unsubscribe";
    EXPECT_EQ(left->id(), 0u);
    EXPECT_EQ(left->left().reason(), "ticket closed");
    // The session no longer counts the room as joined.
    absl::StatusOr<cv1::ServerFrame> query = [&] {
      cv1::ClientFrame frame;
      frame.mutable_presence_query()->set_room(room);
      return tab->Request(frame);
    }();
    EXPECT_EQ(ErrorCodeOf(query.status()), cv1::ERROR_CODE_NOT_JOINED) << query.status();
  }
  // Others in the room still get its messages.
  ASSERT_TRUE(Publish(room, "still here").ok());
  EXPECT_TRUE(NextMessage(*erin, room, "still here").has_value());

  // Safe to repeat: nobody is left to remove.
  ctl::UnsubscribeResponse again;
  status = Unsubscribe("dave", room, "ticket closed", &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.connections(), 0u);
}

TEST_F(ControlPathsTest, ATokenExpiringMidSessionIsClosedWith4002InTime) {
  cv1::Welcome welcome;
  auto client = Connected("frank", {"*"}, absl::Seconds(2), &welcome);
  ASSERT_TRUE(welcome.has_token_expires_at());
  const absl::Time expires_at = absl::FromUnixSeconds(welcome.token_expires_at().seconds()) +
                                absl::Nanoseconds(welcome.token_expires_at().nanos());
  ASSERT_GT(expires_at, absl::Now() - kLeeway) << "the token was already past its leeway";
  // Valid while now < exp + leeway; checked every tick.
  const absl::Time earliest = expires_at + kLeeway;
  const absl::Time bound = earliest + kTick;

  std::optional<CloseInfo> closed = client->WaitForClose(bound + kSlack - absl::Now());
  const absl::Time closed_at = absl::Now();
  ASSERT_TRUE(closed.has_value()) << "still open " << (closed_at - bound)
                                  << " after exp + leeway + one tick";
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_TOKEN_EXPIRED) << closed->reason;
  EXPECT_GE(closed_at, earliest) << "closed " << (earliest - closed_at) << " before exp + leeway";
  EXPECT_LE(closed_at, bound + kSlack);

  std::optional<cv1::ServerFrame> error = NextPushWhere(
      *client, [](const cv1::ServerFrame& f) { return f.has_error(); }, absl::Seconds(1));
  ASSERT_TRUE(error.has_value()) << "no Error before the 4002 close";
  EXPECT_EQ(error->id(), 0u);
  EXPECT_EQ(error->error().code(), cv1::ERROR_CODE_UNAUTHENTICATED);
  EXPECT_EQ(error->error().message(), "token expired; reconnect with a new token");
}

TEST_F(ControlPathsTest, RefreshTokenNarrowingTheRoomsLeavesTheOthersOnly) {
  auto grace = Connected("grace", {"room-a", "room-b"});
  ExpectJoined(*grace, "room-a");
  ExpectJoined(*grace, "room-b");

  cv1::ClientFrame refresh;
  refresh.mutable_refresh()->set_token(GatewayProcess::Token("grace", {"room-a"}));
  absl::StatusOr<cv1::ServerFrame> reply = grace->Request(refresh);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->has_token_refreshed()) << reply->DebugString();
  EXPECT_TRUE(reply->token_refreshed().has_token_expires_at());

  std::optional<cv1::ServerFrame> left = NextLeft(*grace, "room-b");
  ASSERT_TRUE(left.has_value()) << "no Left for room-b after a refresh that no longer allows it";
  EXPECT_EQ(left->id(), 0u);
  EXPECT_EQ(left->left().reason(), "the refreshed token does not allow this room");

  // room-a stays joined: a message published to it arrives.
  ASSERT_TRUE(Publish("room-a", "after refresh").ok());
  EXPECT_TRUE(NextMessage(*grace, "room-a", "after refresh").has_value())
      << "room-a's message did not arrive after the refresh";
  EXPECT_EQ(grace->JoinedRooms(), std::vector<std::string>{"room-a"});
  // room-b cannot be joined again under the new token.
  absl::StatusOr<cv1::Joined> rejoin = grace->Join("room-b");
  EXPECT_EQ(ErrorCodeOf(rejoin.status()), cv1::ERROR_CODE_PERMISSION_DENIED) << rejoin.status();
}

// --- sbctl, run as a subprocess ----------------------------------------------

// Upper bound on one sbctl command (its own --timeout is 10 s).
constexpr absl::Duration kCommandWait = absl::Seconds(30);

// How many times `needle` occurs in `haystack`.
int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

class SbctlTest : public ControlPathsTest {
 protected:
  // One finished sbctl run: its exit code and everything it printed (stdout
  // and stderr together).
  struct Result {
    int exit_code = -1;
    std::string output;
  };

  // Starts sbctl against the control process with `args` (command, operands
  // and flags after them).
  std::unique_ptr<Subprocess> StartSbctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {testing::Runfile("tools/sbctl/sbctl"),
                                     "--addr=" + control_->target(), "--timeout=10s"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto process = Subprocess::Start(argv);
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  // Runs sbctl to its end.
  Result Sbctl(const std::vector<std::string>& args) {
    Result result;
    std::unique_ptr<Subprocess> process = StartSbctl(args);
    if (process == nullptr) return result;
    absl::StatusOr<int> code = process->Wait(kCommandWait);
    EXPECT_TRUE(code.ok()) << "sbctl " << absl::StrJoin(args, " ")
                           << " did not finish: " << code.status();
    result.exit_code = code.ok() ? *code : -1;
    result.output = process->Log();
    return result;
  }

  // Publishes over gRPC; the offset (0 for ephemeral rooms).
  uint64_t PublishedAt(const std::string& room, const std::string& text) {
    uint64_t offset = 0;
    grpc::Status status = Publish(room, text, &offset);
    EXPECT_TRUE(status.ok()) << room << ": " << status.error_message();
    return offset;
  }

  // The latest message of a persisted room, as GetHistory returns it.
  std::optional<cv1::Message> Latest(const std::string& room) {
    ctl::GetHistoryRequest request;
    request.set_room(room);
    request.set_latest(true);
    request.set_limit(1);
    ctl::GetHistoryResponse response;
    grpc::Status status = stub_->GetHistory(ControlProcess::Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << room << ": " << status.error_message();
    if (response.messages().empty()) return std::nullopt;
    return response.messages(0);
  }
};

TEST_F(SbctlTest, WatchSincePrintsTheRetainedAndTheLiveMessagesOnce) {
  const std::string room = "chat:lobby";
  const uint64_t first = PublishedAt(room, "before the watch");
  ASSERT_GT(first, 0u);

  std::unique_ptr<Subprocess> watch =
      StartSbctl({"watch", room, absl::StrCat("--since=", first - 1)});
  ASSERT_NE(watch, nullptr);
  const std::string replayed = absl::StrCat("[", first, "] control plane: before the watch");
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(watch->Log(), replayed); }, kPushWait))
      << "the retained message was not printed; output:\n"
      << watch->Log();

  // Live from here: one from the control plane, one from a client.
  const uint64_t second = PublishedAt(room, "while watching");
  cv1::Welcome welcome;
  auto alice = Connected("alice", {"*"}, absl::Hours(1), &welcome);
  absl::StatusOr<cv1::PublishAck> ack = alice->Publish(room, TextPayload("hi from alice"));
  ASSERT_TRUE(ack.ok()) << ack.status();
  const std::string live = absl::StrCat("[", second, "] control plane: while watching");
  const std::string from_alice =
      absl::StrCat("[", ack->offset(), "] alice/", welcome.connection_id(), ": hi from alice");
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string out = watch->Log();
        return absl::StrContains(out, live) && absl::StrContains(out, from_alice);
      },
      kPushWait))
      << "live messages were not printed; output:\n"
      << watch->Log();

  // Watch has no end of its own (no count or timeout flag): it runs until
  // stopped.
  EXPECT_TRUE(watch->Running()) << watch->Log();
  absl::StatusOr<int> stopped = watch->Stop(absl::Seconds(5));
  EXPECT_TRUE(stopped.ok()) << stopped.status();
  const std::string out = watch->Log();
  EXPECT_EQ(Count(out, "before the watch"), 1) << out;
  EXPECT_EQ(Count(out, "while watching"), 1) << out;
  EXPECT_FALSE(absl::StrContains(out, "sbctl: watch:")) << out;
}

TEST_F(SbctlTest, LiveWatchOfAnEphemeralRoomPrintsWhatIsPublished) {
  const std::string room = "eph:ticker";
  std::unique_ptr<Subprocess> watch = StartSbctl({"watch", room});
  ASSERT_NE(watch, nullptr);
  // A live watch prints nothing before its first event, so whether it is
  // subscribed yet shows only by publishing until something is printed.
  int probes = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        PublishedAt(room, absl::StrCat("probe-", ++probes));
        return absl::StrContains(watch->Log(), "control plane: probe-");
      },
      kPushWait, absl::Milliseconds(100)))
      << "nothing published to " << room << " was printed; output:\n"
      << watch->Log();

  PublishedAt(room, "tick 42");
  // Ephemeral messages have no offset: printed as [-].
  ASSERT_TRUE(WaitFor(
      [&] { return absl::StrContains(watch->Log(), "[-] control plane: tick 42"); }, kPushWait))
      << watch->Log();
  EXPECT_TRUE(watch->Running()) << watch->Log();
  EXPECT_TRUE(watch->Stop(absl::Seconds(5)).ok());
}

TEST_F(SbctlTest, BroadcastToRoomsThatAllSucceedExitsZero) {
  auto bob = Connected("bob");
  ExpectJoined(*bob, "eph:ticker");

  Result result = Sbctl(
      {"broadcast", "news,sports,eph:ticker", "site maintenance at 22:00", "--message_id=maint-7"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_FALSE(absl::StrContains(result.output, "error")) << result.output;
  EXPECT_EQ(Count(result.output, "maint-7"), 3) << result.output;

  for (const std::string room : {"news", "sports"}) {
    std::optional<cv1::Message> latest = Latest(room);
    ASSERT_TRUE(latest.has_value()) << room << " holds nothing after the broadcast";
    EXPECT_EQ(latest->payload().text(), "site maintenance at 22:00") << room;
    EXPECT_EQ(latest->message_id(), "maint-7") << room;
  }
  std::optional<cv1::ServerFrame> tick = NextMessage(*bob, "eph:ticker", "site maintenance at 22:00");
  EXPECT_TRUE(tick.has_value()) << "the ephemeral room's member got nothing";
}

TEST_F(SbctlTest, BroadcastWithNoRoomsFailsAsAWholeWithExitCode1) {
  Result result = Sbctl({"broadcast", ",", "x"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "sbctl: broadcast: INVALID_ARGUMENT"))
      << result.output;
}

// A per-room failure (here an invalid name) is reported in the table and the
// other rooms are published; the exit code must still say that not everything
// succeeded, or a script takes a partial broadcast for a complete one.
TEST_F(SbctlTest, BroadcastWhereOneRoomFailsExitsNonZero) {
  Result result = Sbctl({"broadcast", "news,bad.room", "partial", "--message_id=partial-1"});
  EXPECT_TRUE(absl::StrContains(result.output, "bad.room")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "error: INVALID_ARGUMENT")) << result.output;
  std::optional<cv1::Message> latest = Latest("news");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->message_id(), "partial-1") << "the valid room was not published";
  EXPECT_EQ(result.exit_code, 1) << "a broadcast with a failed room must exit 1; output:\n"
                                 << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "1 of 2 rooms failed")) << result.output;
}

TEST_F(SbctlTest, SubscribeAndUnsubscribeJoinAndRemoveTheUsersConnections) {
  const std::string room = "support-42";
  auto carol = Connected("carol");

  Result subscribed = Sbctl({"subscribe", "carol", room});
  EXPECT_EQ(subscribed.exit_code, 0) << subscribed.output;
  EXPECT_TRUE(absl::StrContains(subscribed.output, "joined 1 connections of carol to support-42"))
      << subscribed.output;
  std::optional<cv1::ServerFrame> joined = NextPushWhere(*carol, [&](const cv1::ServerFrame& f) {
    return f.has_joined() && f.joined().room() == room;
  });
  ASSERT_TRUE(joined.has_value()) << "no Joined after sbctl subscribe";
  EXPECT_EQ(joined->id(), 0u);

  Result removed = Sbctl({"unsubscribe", "carol", room, "--reason=ticket closed"});
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_TRUE(absl::StrContains(removed.output, "removed 1 connections of carol from support-42"))
      << removed.output;
  std::optional<cv1::ServerFrame> left = NextLeft(*carol, room);
  ASSERT_TRUE(left.has_value()) << "no Left after sbctl unsubscribe";
  EXPECT_EQ(left->id(), 0u);
  EXPECT_EQ(left->left().reason(), "ticket closed");

  // Nothing left to remove: still a success.
  Result again = Sbctl({"unsubscribe", "carol", room});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "removed 0 connections of carol from support-42"))
      << again.output;
}

TEST_F(SbctlTest, DisconnectClosesALiveConnectionAndAnUnknownOneExits1) {
  cv1::Welcome welcome;
  auto dave = Connected("dave", {"*"}, absl::Hours(1), &welcome);
  Result done = Sbctl({"disconnect", welcome.connection_id(), "--reconnect", "--reason=move"});
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_TRUE(absl::StrContains(done.output, "disconnected " + welcome.connection_id()))
      << done.output;
  std::optional<CloseInfo> closed = dave->WaitForClose(kPushWait);
  ASSERT_TRUE(closed.has_value()) << "sbctl disconnect succeeded but the connection stayed open";
  EXPECT_EQ(closed->code, cv1::CLOSE_CODE_DISCONNECTED);
  EXPECT_EQ(closed->reason, "move");

  Result unknown = Sbctl({"disconnect", "no-such-conn"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_TRUE(absl::StrContains(unknown.output,
                                "sbctl: disconnect: NOT_FOUND: no gateway holds connection"))
      << unknown.output;
}

}  // namespace
}  // namespace switchboard
