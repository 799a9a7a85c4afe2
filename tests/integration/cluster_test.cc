// A whole cluster on 127.0.0.1 (3 NATS JetStream nodes with the rooms stream
// replicated 3 times, 3 gateways, 2 control processes): delivery, kicks,
// server-side subscriptions and cluster info work whichever gateway a client
// uses and whichever control process a backend calls.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/client.h"
#include "clients/cpp/message_util.h"
#include "clients/cpp/presence_tracker.h"
#include "gtest/gtest.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/integration/cluster_topology.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace {

namespace cv1 = switchboard::client::v1;
namespace ctl = switchboard::control::v1;
using switchboard::client::Client;
using switchboard::client::ClientOptions;
using switchboard::client::TextPayload;
using testing::ClusterTopology;
using testing::ControlProcess;
using testing::GatewayProcess;
using testing::WaitFor;

constexpr absl::Duration kDeliveryTimeout = absl::Seconds(15);

// The next `count` room messages of `room` pushed to `client`, fewer if they
// do not all arrive within `timeout`. Other pushes are skipped.
std::vector<cv1::Message> ReadMessages(Client& client, const std::string& room, size_t count,
                                       absl::Duration timeout = kDeliveryTimeout) {
  std::vector<cv1::Message> messages;
  const absl::Time deadline = absl::Now() + timeout;
  while (messages.size() < count && absl::Now() < deadline) {
    std::optional<cv1::ServerFrame> push = client.NextPush(deadline - absl::Now());
    if (push && push->has_message() && push->message().room() == room) {
      messages.push_back(push->message());
    }
  }
  return messages;
}

std::vector<uint64_t> OffsetsOf(const std::vector<cv1::Message>& messages) {
  std::vector<uint64_t> offsets;
  for (const cv1::Message& m : messages) offsets.push_back(m.offset());
  return offsets;
}

std::vector<std::string> IdsOf(const std::vector<cv1::Message>& messages) {
  std::vector<std::string> ids;
  for (const cv1::Message& m : messages) ids.push_back(m.message_id());
  return ids;
}

// Acks of pipelined PublishAsync calls, filled on the clients' I/O threads.
class AckLog {
 public:
  std::function<void(absl::StatusOr<cv1::PublishAck>)> Callback() {
    return [this](absl::StatusOr<cv1::PublishAck> ack) {
      absl::MutexLock lock(&mu_);
      if (ack.ok()) {
        acks_.push_back(*std::move(ack));
      } else {
        errors_.push_back(ack.status());
      }
    };
  }
  size_t Completed() {
    absl::MutexLock lock(&mu_);
    return acks_.size() + errors_.size();
  }
  std::vector<cv1::PublishAck> Acks() {
    absl::MutexLock lock(&mu_);
    return acks_;
  }
  std::vector<absl::Status> Errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }

 private:
  absl::Mutex mu_;
  std::vector<cv1::PublishAck> acks_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> errors_ ABSL_GUARDED_BY(mu_);
};

// One cluster for the whole suite (starting it takes seconds); every test uses
// rooms and users of its own and closes its clients when it ends.
class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ClusterTopology>> cluster = ClusterTopology::Start();
    if (!cluster.ok()) {
      *start_error_ = cluster.status().ToString();
      return;
    }
    cluster_ = cluster->release();
    // Kicks and subscriptions go to the gateways a control process knows.
    absl::Status listed =
        cluster_->WaitForDirectory(cluster_->GatewayIds(), absl::Seconds(20));
    if (!listed.ok()) *start_error_ = listed.ToString();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_error_->empty()) << *start_error_; }

  GatewayProcess& gateway(int i) { return cluster_->gateway(i); }
  ControlProcess& control(int i) { return cluster_->control(i); }

  std::unique_ptr<Client> Connected(GatewayProcess& gw, const std::string& user) {
    auto client = std::make_unique<Client>(gw.ClientOptionsFor(GatewayProcess::Token(user)));
    absl::StatusOr<cv1::Welcome> welcome = client->Connect();
    EXPECT_TRUE(welcome.ok()) << user << ": " << welcome.status();
    return client;
  }

  static ClusterTopology* cluster_;
  static std::string* start_error_;
};

ClusterTopology* ClusterTest::cluster_ = nullptr;
std::string* ClusterTest::start_error_ = new std::string();

TEST_F(ClusterTest, PublishThroughEitherControlReachesClientsOnEveryGateway) {
  const std::string room = "cluster:control-publish";
  std::vector<std::unique_ptr<Client>> readers;
  for (int g = 0; g < 3; ++g) {
    readers.push_back(Connected(gateway(g), absl::StrCat("reader-", g)));
    ASSERT_TRUE(readers.back()->Join(room).ok());
  }
  std::vector<uint64_t> offsets;
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ControlProcess& via = control(i % 2);
    ctl::PublishRequest request;
    request.set_room(room);
    request.set_message_id(absl::StrCat("via-", via.id(), "-", i));
    *request.mutable_payload() = TextPayload(absl::StrCat("m", i));
    ctl::PublishResponse response;
    grpc::Status status =
        via.NewStub()->Publish(ControlProcess::Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << via.id() << ": " << status.error_message();
    EXPECT_FALSE(response.duplicate());
    if (!offsets.empty()) {
      EXPECT_GT(response.offset(), offsets.back());
    }
    offsets.push_back(response.offset());
    ids.push_back(request.message_id());
  }
  for (int g = 0; g < 3; ++g) {
    std::vector<cv1::Message> got = ReadMessages(*readers[g], room, offsets.size());
    EXPECT_EQ(OffsetsOf(got), offsets) << "on gw-" << g + 1;
    EXPECT_EQ(IdsOf(got), ids) << "on gw-" << g + 1;
    EXPECT_EQ(readers[g]->stats().duplicates_dropped, 0u) << "on gw-" << g + 1;
  }
}

TEST_F(ClusterTest, ClientPublishesReachEveryGatewayInOffsetOrder) {
  const std::string room = "cluster:client-publish";
  std::vector<std::unique_ptr<Client>> readers;
  std::vector<std::unique_ptr<Client>> publishers;
  for (int g = 0; g < 3; ++g) {
    readers.push_back(Connected(gateway(g), absl::StrCat("listener-", g)));
    ASSERT_TRUE(readers.back()->Join(room).ok());
    publishers.push_back(Connected(gateway(g), absl::StrCat("talker-", g)));
  }
  // gw-1 publishes most; the others interleave with it, pipelined, so the
  // order readers must agree on is the stream's, not any one sender's.
  constexpr int kFromFirst = 40;
  constexpr int kFromOthers = 10;
  AckLog acks;
  int sent = 0;
  for (int i = 0; i < kFromFirst; ++i) {
    publishers[0]->PublishAsync(room, TextPayload(absl::StrCat(i)), absl::StrCat("gw1-", i),
                                acks.Callback());
    ++sent;
    if (i % 4 == 0 && i / 4 < kFromOthers) {
      for (int g = 1; g < 3; ++g) {
        publishers[g]->PublishAsync(room, TextPayload(absl::StrCat(i)),
                                    absl::StrCat("gw", g + 1, "-", i / 4), acks.Callback());
        ++sent;
      }
    }
  }
  ASSERT_EQ(sent, kFromFirst + 2 * kFromOthers);
  ASSERT_TRUE(WaitFor([&] { return acks.Completed() == static_cast<size_t>(sent); },
                      kDeliveryTimeout));
  ASSERT_TRUE(acks.Errors().empty()) << acks.Errors().front();
  std::map<uint64_t, std::string> by_offset;  // The stream's order.
  for (const cv1::PublishAck& ack : acks.Acks()) by_offset[ack.offset()] = ack.message_id();
  ASSERT_EQ(by_offset.size(), static_cast<size_t>(sent)) << "two acks with one offset";
  std::vector<uint64_t> offsets;
  std::vector<std::string> ids;
  for (const auto& [offset, id] : by_offset) {
    offsets.push_back(offset);
    ids.push_back(id);
  }
  for (int g = 0; g < 3; ++g) {
    std::vector<cv1::Message> got = ReadMessages(*readers[g], room, offsets.size());
    EXPECT_EQ(OffsetsOf(got), offsets) << "on gw-" << g + 1;
    EXPECT_EQ(IdsOf(got), ids) << "on gw-" << g + 1;
    EXPECT_EQ(readers[g]->stats().duplicates_dropped, 0u) << "on gw-" << g + 1;
  }
}

TEST_F(ClusterTest, KickThroughTheOtherControlClosesTheUserEverywhere) {
  const std::string user = "kicked-user";
  // Four connections of the user over the three gateways, and bystanders.
  std::vector<std::unique_ptr<Client>> kicked;
  std::vector<std::unique_ptr<Client>> bystanders;
  for (int g : {0, 1, 2, 2}) kicked.push_back(Connected(gateway(g), user));
  for (int g = 0; g < 3; ++g) bystanders.push_back(Connected(gateway(g), "bystander"));

  ctl::KickUserRequest request;
  request.set_user_id(user);
  request.set_reason("cluster test");
  ctl::KickUserResponse response;
  grpc::Status status =
      control(1).NewStub()->KickUser(ControlProcess::Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.connections_closed(), 4u);
  for (size_t i = 0; i < kicked.size(); ++i) {
    std::optional<switchboard::client::CloseInfo> closed =
        kicked[i]->WaitForClose(absl::Seconds(10));
    ASSERT_TRUE(closed.has_value()) << "connection " << i << " still open";
    EXPECT_EQ(closed->code, cv1::CLOSE_CODE_KICKED);
    EXPECT_EQ(closed->reason, "cluster test");
  }
  for (int g = 0; g < 3; ++g) {
    EXPECT_TRUE(bystanders[g]->Ping().ok()) << "bystander on gw-" << g + 1;
  }
  // Nothing of the user is left anywhere, as the first control sees it too.
  // control/gateway_commands answers a kick of nobody with NOT_FOUND, while
  // docs/control-api.md says 0 is not an error: either means "none left".
  ctl::KickUserResponse again;
  status = control(0).NewStub()->KickUser(ControlProcess::Context().get(), request, &again);
  if (status.ok()) {
    EXPECT_EQ(again.connections_closed(), 0u);
  } else {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  }
}

TEST_F(ClusterTest, ServerSideSubscribeReachesAClientOnAnotherGateway) {
  const std::string room = "cluster:server-side";
  auto member = Connected(gateway(2), "subscribed-user");
  ctl::SubscribeRequest request;
  request.set_user_id("subscribed-user");
  request.set_room(room);
  ctl::SubscribeResponse response;
  grpc::Status status =
      control(0).NewStub()->Subscribe(ControlProcess::Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.connections(), 1u);

  // Published by the other control and by a client of another gateway.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ctl::PublishRequest publish;
    publish.set_room(room);
    publish.set_message_id(absl::StrCat("backend-", i));
    *publish.mutable_payload() = TextPayload("from a backend");
    ctl::PublishResponse ack;
    status = control(1).NewStub()->Publish(ControlProcess::Context().get(), publish, &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ids.push_back(publish.message_id());
  }
  auto talker = Connected(gateway(0), "talker");
  ASSERT_TRUE(talker->Publish(room, TextPayload("from a client"), "client-0").ok());
  ids.push_back("client-0");

  std::vector<cv1::Message> got = ReadMessages(*member, room, ids.size());
  EXPECT_EQ(IdsOf(got), ids);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end(),
                             [](const cv1::Message& a, const cv1::Message& b) {
                               return a.offset() < b.offset();
                             }));
}

TEST_F(ClusterTest, GetInfoListsTheThreeGatewaysWithTheirConnections) {
  // 1, 2 and 3 connections on gw-1, gw-2, gw-3; earlier tests' clients are
  // closed, their gateways may still be counting them down.
  std::vector<std::unique_ptr<Client>> clients;
  for (int g = 0; g < 3; ++g) {
    for (int n = 0; n <= g; ++n) clients.push_back(Connected(gateway(g), "counted"));
  }
  for (int c = 0; c < 2; ++c) {
    auto stub = control(c).NewStub();
    std::string seen;
    EXPECT_TRUE(WaitFor(
        [&] {
          ctl::GetInfoResponse info;
          grpc::Status status = stub->GetInfo(ControlProcess::Context(absl::Seconds(5)).get(),
                                              ctl::GetInfoRequest(), &info);
          if (!status.ok()) {
            seen = status.error_message();
            return false;
          }
          seen = info.ShortDebugString();
          if (info.gateways_size() != 3 || info.connections() != 6) return false;
          for (int g = 0; g < 3; ++g) {
            auto it = std::find_if(info.gateways().begin(), info.gateways().end(),
                                   [&](const ctl::Gateway& gw) {
                                     return gw.gateway_id() == absl::StrCat("gw-", g + 1);
                                   });
            if (it == info.gateways().end()) return false;
            if (it->connections() != static_cast<uint64_t>(g + 1)) return false;
            if (it->advertise_address() != absl::StrCat("127.0.0.1:", gateway(g).port())) {
              return false;
            }
            if (it->draining() || it->version().empty()) return false;
          }
          return true;
        },
        absl::Seconds(15), absl::Milliseconds(100)))
        << control(c).id() << " sees " << seen;
  }
}

// Members on all three gateways are listed by either control process and by a
// client's PresenceQuery on any gateway; a user with connections on two
// gateways counts once; join and leave events reach members elsewhere.
TEST_F(ClusterTest, PresenceAcrossGateways) {
  const std::string room = "cluster-presence";
  switchboard::client::JoinOptions with_presence;
  with_presence.presence = true;
  auto observer = Connected(gateway(2), "watcher");
  ASSERT_TRUE(observer->Join(room, with_presence).ok());
  std::vector<std::unique_ptr<Client>> members;
  members.push_back(Connected(gateway(0), "pia"));
  members.push_back(Connected(gateway(1), "pia"));
  members.push_back(Connected(gateway(1), "quinn"));
  for (auto& m : members) ASSERT_TRUE(m->Join(room).ok());

  switchboard::client::PresenceTracker tracker;
  auto observe = [&](const std::function<bool()>& done) {
    return WaitFor([&] {
      auto push = observer->NextPush(absl::Milliseconds(20));
      if (push && push->has_presence()) tracker.Apply(push->presence());
      return done();
    }, kDeliveryTimeout, absl::Milliseconds(1));
  };
  ASSERT_TRUE(observe([&] { return tracker.connections() == 4; }));
  EXPECT_EQ(tracker.Users(), (std::vector<std::string>{"pia", "quinn", "watcher"}));

  for (int c = 0; c < 2; ++c) {
    ctl::GetPresenceStatsRequest request;
    request.set_room(room);
    ctl::GetPresenceStatsResponse stats;
    grpc::Status status =
        control(c).NewStub()->GetPresenceStats(ControlProcess::Context().get(), request, &stats);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(stats.connections(), 4u) << control(c).id();
    EXPECT_EQ(stats.users(), 3u) << control(c).id();
    ctl::GetPresenceRequest list;
    list.set_room(room);
    ctl::GetPresenceResponse listed;
    status = control(c).NewStub()->GetPresence(ControlProcess::Context().get(), list, &listed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::set<std::string> gateways;
    for (const auto& m : listed.members()) gateways.insert(m.gateway_id());
    EXPECT_EQ(listed.members_size(), 4);
    EXPECT_EQ(gateways.size(), 3u);
  }
  cv1::ClientFrame query;
  query.mutable_presence_query()->set_room(room);
  absl::StatusOr<cv1::ServerFrame> snapshot;
  // (A gateway's survey waits for the gateways it has heard heartbeats from.)
  ASSERT_TRUE(WaitFor([&] {
    snapshot = members[0]->Request(query);
    return snapshot.ok() && snapshot->presence_snapshot().connections() == 4;
  }, kDeliveryTimeout)) << snapshot.status();
  EXPECT_EQ(snapshot->presence_snapshot().users(), 3u);

  // pia's tab on gw-1 leaves: still online through gw-2; quinn leaves: offline.
  ASSERT_TRUE(members[0]->Leave(room).ok());
  ASSERT_TRUE(members[2]->Leave(room).ok());
  ASSERT_TRUE(observe([&] { return tracker.connections() == 2; }));
  EXPECT_EQ(tracker.Users(), (std::vector<std::string>{"pia", "watcher"}));
}

}  // namespace
}  // namespace switchboard
